/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-device-claims.c: device claims from fake sysfs trees (a phone, a
 * laptop, a VM, a container); HMACs and the app-specific machine id checked
 * against Python's hmac and systemd-id128; raw values; drift; docs/privacy.md.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entsec-device-claims.h"

static const guint8 salt_bytes[] = "tenant salt of the tests, 32 b!";

typedef struct
{
  EntsecDeviceSources *sources;
  GHashTable *permanent; /* ifname -> "xx:xx:xx:xx:xx:xx" */
  GBytes *salt;
} Fixture;

static char *
device_root (const char *device,
             const char *part)
{
  return g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "sysfs", device, part, NULL);
}

static void
point_at (EntsecDeviceSources *sources,
          const char          *device)
{
  g_autofree char *sys = device_root (device, "sys");
  g_autofree char *proc = device_root (device, "proc");
  g_autofree char *etc = device_root (device, "etc");

  entsec_device_sources_set_sysfs_root (sources, sys);
  entsec_device_sources_set_proc_root (sources, proc);
  entsec_device_sources_set_etc_root (sources, etc);
}

/* The fake ETHTOOL_GPERMADDR: what a driver reports for some cards. */
static gboolean
fake_permanent_address (const char *ifname,
                        guint8      address[6],
                        gpointer    user_data)
{
  const char *text = g_hash_table_lookup (user_data, ifname);
  unsigned int bytes[6];

  if (text == NULL
      || sscanf (text, "%x:%x:%x:%x:%x:%x", &bytes[0], &bytes[1], &bytes[2], &bytes[3], &bytes[4],
                 &bytes[5])
           != 6)
    return FALSE;
  for (guint i = 0; i < 6; i++)
    address[i] = (guint8) bytes[i];
  return TRUE;
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer device)
{
  fixture->sources = entsec_device_sources_new ();
  fixture->permanent = g_hash_table_new (g_str_hash, g_str_equal);
  fixture->salt = g_bytes_new_static (salt_bytes, sizeof salt_bytes - 1);
  entsec_device_sources_set_permanent_address_func (fixture->sources, fake_permanent_address,
                                                    fixture->permanent);
  if (device != NULL)
    point_at (fixture->sources, device);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer device)
{
  entsec_device_sources_free (fixture->sources);
  g_hash_table_unref (fixture->permanent);
  g_bytes_unref (fixture->salt);
}

/* Helpers */

static char *
run_python (const char *script,
            const char *arg1,
            const char *arg2,
            const char *arg3)
{
  const char *argv[] = { "python3", "-c", script, arg1, arg2, arg3, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_strdup (g_strstrip (out));
}

/* An independent HMAC-SHA256 under the salt over "name" NUL value, base64url. */
static char *
python_hmac (const char *name,
             const char *value)
{
  static const char script[] =
    "import base64, hashlib, hmac, sys\n"
    "key = bytes.fromhex(sys.argv[1])\n"
    "msg = sys.argv[2].encode() + b'\\0' + sys.argv[3].encode()\n"
    "mac = hmac.new(key, msg, hashlib.sha256).digest()\n"
    "print(base64.urlsafe_b64encode(mac).decode().rstrip('='))\n";
  g_autofree char *key = g_malloc0 (2 * sizeof salt_bytes);

  for (gsize i = 0; i + 1 < sizeof salt_bytes; i++)
    g_snprintf (key + 2 * i, 3, "%02x", salt_bytes[i]);
  return run_python (script, key, name, value);
}

/* systemd's sd_id128_get_machine_app_specific(), written again in Python. */
static char *
python_app_specific (const char *machine_id)
{
  static const char script[] =
    "import hashlib, hmac, sys\n"
    "d = bytearray(hmac.new(bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]),\n"
    "                       hashlib.sha256).digest()[:16])\n"
    "d[6] = d[6] & 0x0f | 0x40\n"
    "d[8] = d[8] & 0x3f | 0x80\n"
    "print(d.hex())\n";

  return run_python (script, machine_id, ENTSEC_DEVICE_APP_ID, "");
}

static json_t *
describe (Fixture            *fixture,
          EntsecDeviceCollect collect,
          EntsecDeviceRaw     raw,
          GPtrArray         **items)
{
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (fixture->sources);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = entsec_device_describe (claims, fixture->salt, collect, raw, items,
                                                  &error);
  json_t *device;

  g_assert_no_error (error);
  device = json_loads (text, JSON_REJECT_DUPLICATES, NULL);
  g_assert_nonnull (device);
  return device;
}

static char *
describe_text (Fixture            *fixture,
               EntsecDeviceCollect collect)
{
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (fixture->sources);
  g_autoptr (GError) error = NULL;
  char *text = entsec_device_describe (claims, fixture->salt, collect, ENTSEC_DEVICE_RAW_NONE,
                                       NULL, &error);

  g_assert_no_error (error);
  return text;
}

static const char *
member (json_t     *device,
        const char *group,
        const char *name)
{
  json_t *object = group != NULL ? json_object_get (device, group) : device;

  return json_string_value (json_object_get (object, name));
}

static void
assert_hmac (const char *sent,
             const char *name,
             const char *value)
{
  g_autofree char *expected = python_hmac (name, value);

  g_assert_cmpstr (sent, ==, expected);
}

/* The interfaces in `macs`, space separated. */
static char *
mac_names (json_t *device)
{
  g_autoptr (GString) names = g_string_new (NULL);
  size_t index;
  json_t *entry;

  json_array_foreach (json_object_get (device, "macs"), index, entry)
    g_string_append_printf (names, "%s%s:%s", index > 0 ? " " : "",
                            json_string_value (json_object_get (entry, "if")),
                            json_string_value (json_object_get (entry, "kind")));
  return g_strdup (names->str);
}

static void
assert_skipped (const EntsecDeviceClaims *claims,
                const char               *reason)
{
  const char * const *skipped = entsec_device_claims_get_skipped (claims);

  for (guint i = 0; skipped[i] != NULL; i++)
    {
      if (strstr (skipped[i], reason) != NULL)
        return;
    }
  g_error ("nothing skipped as \"%s\"", reason);
}

/* Collection */

static void
test_laptop_without_permanent_address (Fixture      *fixture,
                                       gconstpointer device_name)
{
  g_autoptr (json_t) device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (fixture->sources);
  g_autofree char *names = mac_names (device);
  json_t *wired = json_array_get (json_object_get (device, "macs"), 0);

  /* Without ethtool only the card that uses its burnt-in address counts. */
  g_assert_cmpstr (names, ==, "enp0s31f6:ethernet");
  assert_hmac (member (wired, NULL, "mac_hmac"), "mac", "54:e1:ad:3f:9a:12");
  assert_skipped (claims, "docker0: virtual interface (no device link)");
  assert_skipped (claims, "veth3f2a1b0: virtual interface (no device link)");
  assert_skipped (claims, "lo: loopback");
  assert_skipped (claims, "wlp0s20f3: randomised or assigned address (addr_assign_type 3)");
  assert_hmac (member (device, "dmi", "sys_vendor"), "sys_vendor", "LENOVO");
  assert_hmac (member (device, "dmi", "product_name"), "product_name", "20XW0055GE");
  g_assert_null (member (device, "dmi", "dt_model"));
  assert_hmac (member (device, "os", "name"), "name", "Debian GNU/Linux");
  assert_hmac (member (device, "os", "version_id"), "version_id", "12");
  assert_hmac (member (device, "os", "kernel"), "kernel", "6.1.0-13-amd64");
  assert_hmac (member (device, "os", "hostname"), "hostname", "ada-thinkpad");
}

static void
test_laptop_wifi_permanent_address (Fixture      *fixture,
                                    gconstpointer device_name)
{
  g_autoptr (json_t) device = NULL;
  g_autofree char *names = NULL;

  g_hash_table_insert (fixture->permanent, "wlp0s20f3", "8c:8d:28:4a:6b:01");
  /* A bridge's permanent address is locally administered: still skipped. */
  g_hash_table_insert (fixture->permanent, "docker0", "02:42:8c:1d:55:e0");
  device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  names = mac_names (device);
  g_assert_cmpstr (names, ==, "enp0s31f6:ethernet wlp0s20f3:wifi");
  assert_hmac (member (json_array_get (json_object_get (device, "macs"), 1), NULL, "mac_hmac"),
               "mac", "8c:8d:28:4a:6b:01");
}

static void
test_phone (Fixture      *fixture,
            gconstpointer device_name)
{
  g_autoptr (json_t) device = NULL;
  g_autoptr (EntsecDeviceClaims) claims = NULL;
  g_autofree char *names = NULL;

  g_hash_table_insert (fixture->permanent, "wlan0", "00:0a:f5:12:34:56");
  device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  claims = entsec_device_claims_collect (fixture->sources);
  names = mac_names (device);
  /* wlan0 uses a random address, but ethtool knows the burnt-in one. */
  g_assert_cmpstr (names, ==, "wlan0:wifi");
  assert_hmac (member (json_array_get (json_object_get (device, "macs"), 0), NULL, "mac_hmac"),
               "mac", "00:0a:f5:12:34:56");
  assert_skipped (claims, "wwan0: neither Ethernet nor Wi-Fi (type 519)");
  /* Device-tree strings end in NUL; that is not part of the value. */
  assert_hmac (member (device, "dmi", "dt_model"), "dt_model", "Pine64 PinePhone (1.2)");
  assert_hmac (member (device, "dmi", "dt_serial"), "dt_serial", "8e4f1a7c03b2d5e6");
  g_assert_null (member (device, "dmi", "sys_vendor"));
  assert_hmac (member (device, "os", "hostname"), "hostname", "mobian");
}

static void
test_vm (Fixture      *fixture,
         gconstpointer device_name)
{
  g_autoptr (json_t) device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (fixture->sources);
  g_autoptr (EntsecDeviceClaims) with_ethtool = NULL;

  /* QEMU's 52:54:00 prefix has the locally administered bit: not hardware. */
  g_assert_cmpuint (json_array_size (json_object_get (device, "macs")), ==, 0);
  assert_skipped (claims, "ens3: the address is locally administered");
  g_hash_table_insert (fixture->permanent, "ens3", "52:54:00:12:34:56");
  with_ethtool = entsec_device_claims_collect (fixture->sources);
  assert_skipped (with_ethtool, "ens3: the permanent address is locally administered");
  assert_hmac (member (device, "dmi", "sys_vendor"), "sys_vendor", "QEMU");
  assert_hmac (member (device, "dmi", "product_name"), "product_name",
               "Standard PC (Q35 + ICH9, 2009)");
}

static void
test_container (Fixture      *fixture,
                gconstpointer device_name)
{
  g_autoptr (json_t) device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (fixture->sources);

  /* Collected groups are always present, so later heartbeats compare equal. */
  g_assert_cmpuint (json_array_size (json_object_get (device, "macs")), ==, 0);
  g_assert_cmpuint (json_object_size (json_object_get (device, "dmi")), ==, 0);
  assert_skipped (claims, "eth0: virtual interface (no device link)");
  assert_hmac (member (device, "os", "name"), "name", "Alpine Linux");
  assert_hmac (member (device, "os", "version_id"), "version_id", "3.18.4");
}

static void
test_collect_groups (Fixture      *fixture,
                     gconstpointer device_name)
{
  g_autoptr (json_t) fp_only = describe (fixture, ENTSEC_DEVICE_COLLECT_MACHINE_FP, 0, NULL);
  g_autoptr (json_t) os_only = describe (fixture, ENTSEC_DEVICE_COLLECT_OS, 0, NULL);
  const char *names[] = { "os", "macs", NULL };
  const char *bad[] = { "os", "serial", NULL };
  g_autoptr (GError) error = NULL;
  EntsecDeviceCollect collect = 0;

  g_assert_cmpuint (json_object_size (fp_only), ==, 1);
  g_assert_nonnull (member (fp_only, NULL, "machine_fp"));
  g_assert_cmpuint (json_object_size (os_only), ==, 1);
  g_assert_nonnull (json_object_get (os_only, "os"));
  g_assert_true (entsec_device_collect_from_names (names, &collect, &error));
  g_assert_cmpuint (collect, ==, ENTSEC_DEVICE_COLLECT_OS | ENTSEC_DEVICE_COLLECT_MACS);
  g_assert_false (entsec_device_collect_from_names (bad, &collect, &error));
  g_assert_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "\"serial\""));
}

/* The machine id */

static void
test_machine_fp (Fixture      *fixture,
                 gconstpointer device_name)
{
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (json_t) device = describe (fixture, ENTSEC_DEVICE_COLLECT_MACHINE_FP, 0, &items);
  g_autofree char *app_specific = python_app_specific ("3c9e7d1f2a4b48c6b05e91d2f7a6c834");
  const EntsecDeviceShareItem *item = g_ptr_array_index (items, 0);

  g_assert_cmpstr (item->field, ==, "machine_fp");
  g_assert_cmpstr (item->value, ==, app_specific);
  g_assert_false (item->raw_sent);
  assert_hmac (member (device, NULL, "machine_fp"), "machine_fp", app_specific);
}

/* Our construction and Python's agree with systemd's own on this machine. */
static void
test_machine_fp_systemd (Fixture      *fixture,
                         gconstpointer device_name)
{
  const char *argv[] = { "systemd-id128", "machine-id", "--app-specific=" ENTSEC_DEVICE_APP_ID,
                         NULL };
  g_autofree char *out = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (json_t) device = NULL;
  int status = 0;

  if (!g_file_test ("/etc/machine-id", G_FILE_TEST_IS_REGULAR)
      || !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                        &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("systemd-id128 or /etc/machine-id is not available");
      return;
    }
  device = describe (fixture, ENTSEC_DEVICE_COLLECT_MACHINE_FP, 0, &items);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpstr (((EntsecDeviceShareItem *) g_ptr_array_index (items, 0))->value, ==,
                   g_strstrip (out));
}

/* The real machine this test runs on, with the real ETHTOOL_GPERMADDR. */
static void
test_real_system (void)
{
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (NULL);
  g_autoptr (GBytes) salt = g_bytes_new_static (salt_bytes, sizeof salt_bytes - 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = entsec_device_describe (claims, salt, ENTSEC_DEVICE_COLLECT_ALL, 0,
                                                  NULL, &error);
  g_autoptr (json_t) device = NULL;

  g_assert_no_error (error);
  device = json_loads (text, JSON_REJECT_DUPLICATES, NULL);
  g_assert_true (json_is_object (device));
  g_assert_true (json_is_array (json_object_get (device, "macs")));
  g_assert_true (json_is_object (json_object_get (device, "os")));
}

/* Raw values */

static gboolean
has_raw (json_t *device)
{
  g_autofree char *text = json_dumps (device, JSON_COMPACT);

  return strstr (text, "_raw\"") != NULL || strstr (text, "\"mac\"") != NULL
         || strstr (text, "LENOVO") != NULL || strstr (text, "54:e1:ad") != NULL;
}

static void
test_raw_needs_both_flags (Fixture      *fixture,
                           gconstpointer device_name)
{
  g_autoptr (json_t) none = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  g_autoptr (json_t) policy = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL,
                                        ENTSEC_DEVICE_RAW_POLICY_ASKS, NULL);
  g_autoptr (json_t) user = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL,
                                      ENTSEC_DEVICE_RAW_USER_AGREED, NULL);
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (json_t) both = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL,
                                      ENTSEC_DEVICE_RAW_POLICY_ASKS
                                        | ENTSEC_DEVICE_RAW_USER_AGREED,
                                      &items);
  g_autofree char *app_specific = python_app_specific ("3c9e7d1f2a4b48c6b05e91d2f7a6c834");
  g_autofree char *both_text = json_dumps (both, JSON_COMPACT);

  g_assert_false (has_raw (none));
  g_assert_false (has_raw (policy));
  g_assert_false (has_raw (user));
  g_assert_true (json_equal (none, policy) && json_equal (none, user));
  g_assert_cmpstr (member (both, "dmi", "sys_vendor_raw"), ==, "LENOVO");
  g_assert_cmpstr (member (both, "os", "hostname_raw"), ==, "ada-thinkpad");
  g_assert_cmpstr (member (json_array_get (json_object_get (both, "macs"), 0), NULL, "mac"), ==,
                   "54:e1:ad:3f:9a:12");
  /* The HMACs stay, and the machine id never goes out raw. */
  assert_hmac (member (both, "dmi", "sys_vendor"), "sys_vendor", "LENOVO");
  g_assert_null (strstr (both_text, app_specific));
  g_assert_null (strstr (both_text, "3c9e7d1f2a4b48c6b05e91d2f7a6c834"));
  for (guint i = 0; i < items->len; i++)
    {
      const EntsecDeviceShareItem *item = g_ptr_array_index (items, i);

      g_assert_true (item->raw_sent == (strcmp (item->field, "machine_fp") != 0));
    }
}

static void
test_empty_salt (Fixture      *fixture,
                 gconstpointer device_name)
{
  g_autoptr (EntsecDeviceClaims) claims = entsec_device_claims_collect (fixture->sources);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = entsec_device_describe (claims, empty, ENTSEC_DEVICE_COLLECT_ALL, 0,
                                                  NULL, &error);

  g_assert_null (text);
  g_assert_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID);
}

/* Malformed files: left out, with a reason a person can act on */

static void
write_file (const char *root,
            const char *relative,
            const char *contents)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
test_malformed (Fixture      *fixture,
                gconstpointer device_name)
{
  g_autofree char *root = g_dir_make_tmp ("entsec-claims-XXXXXX", NULL);
  g_autofree char *link = g_build_filename (root, "class", "net", "eth0", "device", NULL);
  g_autoptr (EntsecDeviceClaims) claims = NULL;
  g_autoptr (json_t) device = NULL;
  g_autofree char *command = NULL;
  g_autofree char *long_name = NULL;

  write_file (root, "machine-id", "uninitialized\n");
  write_file (root, "os-release", "NAME=\"Debian\nbroken line\nVERSION_ID=12\n");
  write_file (root, "class/net/eth0/type", "1\n");
  write_file (root, "class/net/eth0/addr_assign_type", "0\n");
  write_file (root, "class/net/eth0/address", "zz:00:11:22:33:44\n");
  write_file (root, "class/dmi/id/sys_vendor", "Evil\x1b[2J\n");
  /* 129 characters, but 258 bytes: over the server's limit. */
  long_name = g_strnfill (129 * 2, 'x');
  for (guint i = 0; i < 129; i++)
    memcpy (long_name + 2 * i, "\xc3\xa9", 2);
  write_file (root, "class/dmi/id/product_name", long_name);
  write_file (root, "devices/pci0/uevent", "\n");
  write_file (root, "class/net/bad\x1b" "name/type", "1\n");
  g_assert_cmpint (symlink ("../../../devices/pci0", link), ==, 0);
  entsec_device_sources_set_sysfs_root (fixture->sources, root);
  entsec_device_sources_set_proc_root (fixture->sources, root);
  entsec_device_sources_set_etc_root (fixture->sources, root);
  claims = entsec_device_claims_collect (fixture->sources);
  assert_skipped (claims, "machine-id is not 32 hexadecimal digits; run systemd-machine-id-setup");
  assert_skipped (claims, "the quoting of NAME in os-release is broken");
  assert_skipped (claims, "line 2 of os-release is not KEY=VALUE");
  assert_skipped (claims, "eth0: the address is not a MAC address");
  assert_skipped (claims, "macs: an interface whose name is not printable text");
  assert_skipped (claims, "dmi.sys_vendor: sys_vendor in DMI is empty, too long or not printable");
  assert_skipped (claims, "dmi.product_name: product_name in DMI is empty, too long");
  device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL, 0, NULL);
  g_assert_null (member (device, NULL, "machine_fp"));
  g_assert_null (member (device, "os", "name"));
  assert_hmac (member (device, "os", "version_id"), "version_id", "12");
  g_assert_cmpuint (json_array_size (json_object_get (device, "macs")), ==, 0);
  g_assert_null (member (device, "dmi", "sys_vendor"));
  command = g_strdup_printf ("rm -rf '%s'", root);
  g_assert_cmpint (system (command), ==, 0);
}

/* The server takes at most 32 `macs` entries: the first 32 by name go. */
static void
test_many_cards (Fixture      *fixture,
                 gconstpointer device_name)
{
  g_autofree char *root = g_dir_make_tmp ("entsec-claims-XXXXXX", NULL);
  g_autoptr (EntsecDeviceClaims) claims = NULL;
  g_autoptr (json_t) device = NULL;
  g_autofree char *command = NULL;
  json_t *macs;

  write_file (root, "devices/pci0/uevent", "\n");
  for (guint i = 0; i < 34; i++)
    {
      g_autofree char *dir = g_strdup_printf ("class/net/eth%02u", i);
      g_autofree char *type = g_build_filename (dir, "type", NULL);
      g_autofree char *assign = g_build_filename (dir, "addr_assign_type", NULL);
      g_autofree char *address = g_build_filename (dir, "address", NULL);
      g_autofree char *text = g_strdup_printf ("00:16:3e:00:00:%02x\n", i);
      g_autofree char *link = g_build_filename (root, dir, "device", NULL);

      write_file (root, type, "1\n");
      write_file (root, assign, "0\n");
      write_file (root, address, text);
      g_assert_cmpint (symlink ("../../../devices/pci0", link), ==, 0);
    }
  entsec_device_sources_set_sysfs_root (fixture->sources, root);
  claims = entsec_device_claims_collect (fixture->sources);
  assert_skipped (claims, "macs: only the first 32 of 34 cards by name are sent");
  device = describe (fixture, ENTSEC_DEVICE_COLLECT_MACS, 0, NULL);
  macs = json_object_get (device, "macs");
  g_assert_cmpuint (json_array_size (macs), ==, 32);
  g_assert_cmpstr (member (json_array_get (macs, 31), NULL, "if"), ==, "eth31");
  command = g_strdup_printf ("rm -rf '%s'", root);
  g_assert_cmpint (system (command), ==, 0);
}

/* Drift */

static void
assert_drift (const char *registered,
              const char *current,
              const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) changed = entsec_device_claims_compare (registered, current, &error);
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  joined = g_strjoinv (" ", changed);
  g_assert_cmpstr (joined, ==, expected);
}

static void
test_drift (Fixture      *fixture,
            gconstpointer device_name)
{
  g_autofree char *registered = describe_text (fixture, ENTSEC_DEVICE_COLLECT_ALL);
  g_autofree char *same = describe_text (fixture, ENTSEC_DEVICE_COLLECT_ALL);
  g_autofree char *wifi = NULL;
  g_autofree char *other_kernel = NULL;
  g_autofree char *vm = NULL;
  g_autofree char *vm_proc = device_root ("vm", "proc");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) none = NULL;

  assert_drift (registered, same, "");
  /* The Wi-Fi card's permanent address becomes known: a card appears. */
  g_hash_table_insert (fixture->permanent, "wlp0s20f3", "8c:8d:28:4a:6b:01");
  wifi = describe_text (fixture, ENTSEC_DEVICE_COLLECT_ALL);
  assert_drift (registered, wifi, "macs[wlp0s20f3]");
  assert_drift (wifi, registered, "macs[wlp0s20f3]");
  g_hash_table_remove_all (fixture->permanent);
  /* Another kernel and host name, the rest unchanged. */
  entsec_device_sources_set_proc_root (fixture->sources, vm_proc);
  other_kernel = describe_text (fixture, ENTSEC_DEVICE_COLLECT_ALL);
  assert_drift (registered, other_kernel, "os.hostname os.kernel");
  point_at (fixture->sources, "vm");
  vm = describe_text (fixture, ENTSEC_DEVICE_COLLECT_ALL);
  assert_drift (registered, vm,
                "dmi.product_name dmi.sys_vendor machine_fp macs[enp0s31f6] "
                "os.hostname os.kernel");
  /* A group the policy stopped collecting. */
  assert_drift ("{\"machine_fp\":\"a\",\"os\":{}}", "{\"machine_fp\":\"a\"}", "os");
  assert_drift ("{\"macs\":[{\"if\":\"eth0\",\"mac_hmac\":\"a\"}]}",
                "{\"macs\":[{\"if\":\"eth0\",\"mac_hmac\":\"b\"}]}", "macs[eth0].mac_hmac");
  none = entsec_device_claims_compare (registered, "[1]", &error);
  g_assert_null (none);
  g_assert_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID);
  g_clear_error (&error);
  none = entsec_device_claims_compare ("{\"a\":1,\"a\":2}", registered, &error);
  g_assert_null (none);
  g_assert_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID);
}

/* docs/privacy.md */

/* Each field path of @device, with `macs[]` for every entry. */
static void
add_paths (GHashTable *paths,
           const char *prefix,
           json_t     *object)
{
  const char *key;
  json_t *value;

  json_object_foreach (object, key, value)
    {
      g_autofree char *path = g_strconcat (prefix, key, NULL);

      if (json_is_object (value))
        {
          g_autofree char *inner = g_strconcat (path, ".", NULL);

          add_paths (paths, inner, value);
        }
      else if (json_is_array (value))
        {
          g_autofree char *inner = g_strconcat (path, "[].", NULL);
          size_t index;
          json_t *entry;

          json_array_foreach (value, index, entry)
            add_paths (paths, inner, entry);
        }
      else
        g_hash_table_add (paths, g_steal_pointer (&path));
    }
}

/* The first column of the table between the claims-table markers. */
static GHashTable *
documented_fields (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("ENTSEC_SOURCE_DIR"), "docs", "privacy.md",
                                            NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean inside = FALSE;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (strstr (line, "<!-- claims-table-begin -->") != NULL)
        inside = TRUE;
      else if (strstr (line, "<!-- claims-table-end -->") != NULL)
        inside = FALSE;
      else if (inside && g_str_has_prefix (line, "| `"))
        {
          const char *start = line + 3;
          const char *end = strchr (start, '`');

          g_assert_nonnull (end);
          g_hash_table_add (fields, g_strndup (start, (gsize) (end - start)));
        }
    }
  return fields;
}

static void
test_privacy_doc (Fixture      *fixture,
                  gconstpointer device_name)
{
  const char *devices[] = { "laptop", "phone", "vm", "container" };
  g_autoptr (GHashTable) sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) documented = documented_fields ();
  GHashTableIter iter;
  const char *field;

  g_hash_table_insert (fixture->permanent, "wlan0", "00:0a:f5:12:34:56");
  for (guint i = 0; i < G_N_ELEMENTS (devices); i++)
    {
      g_autoptr (json_t) device = NULL;

      point_at (fixture->sources, devices[i]);
      device = describe (fixture, ENTSEC_DEVICE_COLLECT_ALL,
                         ENTSEC_DEVICE_RAW_POLICY_ASKS | ENTSEC_DEVICE_RAW_USER_AGREED, NULL);
      add_paths (sent, "", device);
    }
  g_hash_table_iter_init (&iter, sent);
  while (g_hash_table_iter_next (&iter, (gpointer *) &field, NULL))
    {
      if (!g_hash_table_contains (documented, field))
        g_error ("docs/privacy.md does not list the field %s", field);
    }
  g_hash_table_iter_init (&iter, documented);
  while (g_hash_table_iter_next (&iter, (gpointer *) &field, NULL))
    {
      if (!g_hash_table_contains (sent, field))
        g_error ("docs/privacy.md lists %s, which the client never sends", field);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, device, func)                                                                    \
  g_test_add (path, Fixture, device, fixture_set_up, func, fixture_tear_down)
  ADD ("/device/laptop/no-permanent-address", "laptop", test_laptop_without_permanent_address);
  ADD ("/device/laptop/wifi-permanent-address", "laptop", test_laptop_wifi_permanent_address);
  ADD ("/device/phone", "phone", test_phone);
  ADD ("/device/vm", "vm", test_vm);
  ADD ("/device/container", "container", test_container);
  ADD ("/device/collect-groups", "laptop", test_collect_groups);
  ADD ("/device/machine-fp", "laptop", test_machine_fp);
  ADD ("/device/machine-fp-systemd", NULL, test_machine_fp_systemd);
  g_test_add_func ("/device/real-system", test_real_system);
  ADD ("/device/raw-needs-both-flags", "laptop", test_raw_needs_both_flags);
  ADD ("/device/empty-salt", "laptop", test_empty_salt);
  ADD ("/device/malformed", NULL, test_malformed);
  ADD ("/device/many-cards", "laptop", test_many_cards);
  ADD ("/device/drift", "laptop", test_drift);
  ADD ("/device/privacy-doc", NULL, test_privacy_doc);
#undef ADD
  return g_test_run ();
}
