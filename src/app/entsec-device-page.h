/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-device-page.h: this device's registration, the policy in force, what it shares */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_DEVICE_PAGE (entsec_device_page_get_type ())
G_DECLARE_FINAL_TYPE (EntsecDevicePage, entsec_device_page, ENTSEC, DEVICE_PAGE, GtkBox)

/* Read @vault's registration, policy and claims (in a thread) and show
 * them; every call is cancelled by @cancellable. ::loaded follows. */
void     entsec_device_page_show      (EntsecDevicePage *self,
                                       EntsecVault      *vault,
                                       GCancellable     *cancellable);

/* Forget what is shown (leaving the page, locking). */
void     entsec_device_page_clear     (EntsecDevicePage *self);

/* Whether the back button shows (a folded window). */
void     entsec_device_page_set_show_back (EntsecDevicePage *self,
                                           gboolean          show_back);

G_END_DECLS
