#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-po: the translations are complete and current.

Fails, naming the strings or files, when
  - a source file marks strings (_(, N_(, ngettext, translatable="yes", a
    desktop entry, metainfo or schema) but po/POTFILES does not list it, or
    POTFILES lists a file that does not exist;
  - po/entsec.pot misses a string the sources have, or keeps one they lost
    (the template is regenerated with tools/update-po --pot);
  - a language of po/LINGUAS fails msgfmt --check (format strings, plural
    forms, header) or has untranslated, fuzzy or unmerged entries.
Fix: run tools/update-po, then translate what it reports.

usage: check-po.py SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

C_MARK = re.compile(r'(?<![A-Za-z0-9_])(_|N_|C_|NC_|ngettext|g_dngettext|g_dpgettext2)\s*\(')
SCANNED = ('src', 'data')


def lines_of(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith('#')]


def marks_strings(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    if path.endswith(('.c', '.h')):
        return C_MARK.search(text) is not None
    if path.endswith('.ui'):
        return 'translatable="yes"' in text
    return path.endswith(('.desktop.in', '.metainfo.xml.in', '.gschema.xml'))


def unquote(parts):
    s = ''.join(parts)
    out, i = [], 0
    esc = {'n': '\n', 't': '\t', '"': '"', '\\': '\\'}
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s):
            out.append(esc.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)


def entries(po_text):
    """(msgctxt, msgid) keys of a catalog's live entries, the header left out."""
    keys, fields, current = [], {}, None

    def flush():
        if 'msgid' in fields:
            ctxt = unquote(fields['msgctxt']) if 'msgctxt' in fields else None
            msgid = unquote(fields['msgid'])
            if msgid or ctxt is not None:
                keys.append((ctxt, msgid))
        fields.clear()

    for line in po_text.splitlines():
        if line.startswith('#') or not line.strip():
            continue
        m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
        if m:
            current = m.group(1)
            if current in ('msgctxt', 'msgid') and any(k.startswith('msgstr') for k in fields):
                flush()
            fields[current] = [m.group(2)]
        elif line.startswith('"') and current:
            fields[current].append(line[1:-1])
    flush()
    return keys


def run(*args):
    return subprocess.run(args, check=False, capture_output=True, text=True)


def show(key):
    ctxt, msgid = key
    text = msgid if len(msgid) <= 70 else msgid[:67] + '...'
    text = text.replace('\n', '\\n')
    return f'  "{text}"' + (f' (context "{ctxt}")' if ctxt is not None else '')


def main():
    top = sys.argv[1]
    po = os.path.join(top, 'po')
    failures = []

    listed = lines_of(os.path.join(po, 'POTFILES'))
    for f in listed:
        if not os.path.isfile(os.path.join(top, f)):
            failures.append(f'po/POTFILES lists {f}, which does not exist: remove the line')
    unlisted = []
    for base in SCANNED:
        for root, _, files in os.walk(os.path.join(top, base)):
            for name in sorted(files):
                rel = os.path.relpath(os.path.join(root, name), top)
                if rel not in listed and marks_strings(os.path.join(root, name)):
                    unlisted.append(rel)
    if unlisted:
        failures.append('files with translatable strings missing from po/POTFILES (add them):\n'
                        + '\n'.join('  ' + f for f in sorted(unlisted)))

    with tempfile.TemporaryDirectory() as tmp:
        fresh_pot = os.path.join(tmp, 'entsec.pot')
        r = run(os.path.join(top, 'tools', 'update-po'), '--pot', fresh_pot)
        if r.returncode != 0:
            print(r.stdout + r.stderr, file=sys.stderr)
            print('FAIL: tools/update-po --pot could not extract the strings', file=sys.stderr)
            return 1
        with open(fresh_pot, encoding='utf-8') as f:
            fresh = entries(f.read())
    with open(os.path.join(po, 'entsec.pot'), encoding='utf-8') as f:
        committed = entries(f.read())
    missing = [k for k in fresh if k not in set(committed)]
    stale = [k for k in committed if k not in set(fresh)]
    if missing:
        failures.append('po/entsec.pot misses these source strings (run tools/update-po):\n'
                        + '\n'.join(show(k) for k in missing))
    if stale:
        failures.append('po/entsec.pot keeps strings no source has any more '
                        '(run tools/update-po):\n'
                        + '\n'.join(show(k) for k in stale))

    for lang in lines_of(os.path.join(po, 'LINGUAS')):
        path = os.path.join(po, lang + '.po')
        if not os.path.isfile(path):
            failures.append(f'po/LINGUAS lists {lang}, but po/{lang}.po does not exist')
            continue
        r = run('msgfmt', '--check', '-o', os.devnull, path)
        if r.returncode != 0:
            failures.append(f'po/{lang}.po fails msgfmt --check:\n{r.stderr.rstrip()}')
        with open(path, encoding='utf-8') as f:
            have = set(entries(f.read()))
        unmerged = [k for k in committed if k not in have]
        if unmerged:
            failures.append(f'po/{lang}.po lacks entries of the template (run tools/update-po):\n'
                            + '\n'.join(show(k) for k in unmerged))
        for what, option in (('untranslated', '--untranslated'), ('fuzzy', '--only-fuzzy')):
            r = run('msgattrib', option, '--no-obsolete', '--no-wrap', path)
            if r.returncode != 0:
                failures.append(f'msgattrib {option} failed on po/{lang}.po: {r.stderr.rstrip()}')
                continue
            keys = entries(r.stdout)
            header_fuzzy = what == 'fuzzy' and re.search(r'^#, fuzzy\nmsgid ""\n', r.stdout, re.M)
            if keys or header_fuzzy:
                advice = ('check them, then remove the fuzzy flag' if what == 'fuzzy'
                          else 'translate them')
                failures.append(f'po/{lang}.po has {what} entries ({advice}):\n'
                                + '\n'.join(show(k) for k in keys)
                                + ('\n  (the header)' if header_fuzzy else ''))

    for failure in failures:
        print('FAIL: ' + failure, file=sys.stderr)
    if not failures:
        print(f'{len(fresh)} strings; POTFILES, entsec.pot and '
              f'{", ".join(lines_of(os.path.join(po, "LINGUAS")))} complete')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
