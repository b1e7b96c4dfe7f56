/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enroll-assistant.h: "Connect to My Organization": enroll this device */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_ENROLL_ASSISTANT (entsec_enroll_assistant_get_type ())
G_DECLARE_FINAL_TYPE (EntsecEnrollAssistant, entsec_enroll_assistant, ENTSEC,
                      ENROLL_ASSISTANT, AdwWindow)

/*
 * The assistant over @parent for @vault (unlocked): where to enroll (an
 * activation code from a picture or the clipboard, or the server's
 * address), email or phone, the code, what the device shares, then the
 * registration. The enrollment in progress is kept in the vault
 * (%ENTSEC_ENROLLMENT_PREF) from the moment a code is sent until it
 * succeeds or "Cancel" is chosen; closing the app keeps it.
 */
EntsecEnrollAssistant *entsec_enroll_assistant_new (GtkWindow   *parent,
                                                    EntsecVault *vault);

/* Takes @link (an entsec://enroll? link) as if pasted: on to the address step, prefilled. */
void entsec_enroll_assistant_use_link (EntsecEnrollAssistant *self,
                                       const char            *link);

/* Continues @enroller (transfer full; a started enrollment restored from the
 * vault) at the code step. */
void entsec_enroll_assistant_resume (EntsecEnrollAssistant *self,
                                     EntsecEnroller        *enroller);

/* Tests: read the time from @clock (NULL: the real clock) for the "Send
 * Again" countdown, and show the countdown by it at once (the countdown
 * reads it again every second). */
void entsec_enroll_assistant_set_clock (EntsecEnrollAssistant *self,
                                        EntsecEventsClock      clock,
                                        gpointer               user_data);

/* Whether @file is an entsec: link (D-Bus Open hands links over as files). */
gboolean entsec_enroll_is_link (GFile *file);

/*
 * Opens the assistant over @window (an EntsecWindow), with @link (nullable)
 * prefilled; while the vault is locked, remembers them for
 * entsec_enroll_window_ready(). One assistant per window.
 */
void entsec_enroll_open (GtkWindow  *window,
                         const char *link);

/*
 * The window shows the unlocked codes of @vault: opens what
 * entsec_enroll_open() remembered, or the enrollment kept in the vault at
 * its code step (or says that it expired), and makes app.enroll sensitive
 * when @vault is not enrolled yet.
 */
void entsec_enroll_window_ready (GtkWindow   *window,
                                 EntsecVault *vault);

/* Makes @app's "enroll" action sensitive only when @vault is not enrolled, and keeps it so:
 * it follows #EntsecEnterpriseState::changed of @vault (enrolled, unbound, wiped). */
void entsec_enroll_update_action (GApplication *app,
                                  EntsecVault  *vault);

G_END_DECLS
