/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-backup-group.h: the preferences' Backup group (export and import) */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_BACKUP_GROUP (entsec_backup_group_get_type ())
G_DECLARE_FINAL_TYPE (EntsecBackupGroup, entsec_backup_group, ENTSEC, BACKUP_GROUP,
                      AdwPreferencesGroup)

/* The group acts on @vault ((nullable): NULL hides it); its rows are insensitive while locked. */
void entsec_backup_group_set_vault (EntsecBackupGroup *self,
                                    EntsecVault       *vault);

/* The Argon2id costs of the backups it writes (tests); NULL = the core's default. */
void entsec_backup_group_set_kdf (EntsecBackupGroup     *self,
                                  const EntsecKdfParams *kdf);

/*
 * What the file choosers lead to: ask for the passphrases, then write an
 * encrypted backup (@plain FALSE) or a plain otpauth:// list to @path, mode
 * 0600, atomically; or read @path and add its accounts. The outcome is
 * emitted as "toast" (message).
 */
void entsec_backup_group_export_file (EntsecBackupGroup *self,
                                      const char        *path,
                                      gboolean           plain);
void entsec_backup_group_import_file (EntsecBackupGroup *self,
                                      const char        *path);

/*
 * Returns: (transfer none) (nullable): the dialog asking for passphrases
 * now, if any (tests). Its entry rows are named "vault-passphrase",
 * "secret" and "confirm"; its label "hint".
 */
AdwMessageDialog *entsec_backup_group_get_prompt (EntsecBackupGroup *self);

/* Whether an export or import is running (the "busy" property). */
gboolean entsec_backup_group_get_busy (EntsecBackupGroup *self);

G_END_DECLS
