/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account-summary.c: an account as a list shows it, without its secret */

#define G_LOG_DOMAIN "entsec-account"

#include "config.h"

#include <entsec/entsec.h>

struct _EntsecAccountSummary
{
  GObject            parent_instance;
  gint64             id;
  EntsecAccountType  kind;
  char              *issuer;
  char              *label;
  char              *group;
  EntsecOtpAlgorithm algorithm;
  guint              digits;
  guint              period;
  gint               position;
  gboolean           favourite;
  gboolean           has_notes;
  gboolean           managed;
};

G_DEFINE_FINAL_TYPE (EntsecAccountSummary, entsec_account_summary, G_TYPE_OBJECT)

/* Read-only properties, so a list row can bind to them (GtkExpression). */
enum
{
  PROP_0,
  PROP_ID,
  PROP_ISSUER,
  PROP_LABEL,
  PROP_DISPLAY_NAME,
  PROP_GROUP,
  PROP_FAVOURITE,
  PROP_POSITION,
  PROP_KIND,
  PROP_PERIOD,
  PROP_MANAGED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
entsec_account_summary_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  EntsecAccountSummary *self = ENTSEC_ACCOUNT_SUMMARY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_ISSUER:
      g_value_set_string (value, self->issuer);
      break;
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_DISPLAY_NAME:
      g_value_take_string (value, entsec_account_summary_dup_display_name (self));
      break;
    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;
    case PROP_FAVOURITE:
      g_value_set_boolean (value, self->favourite);
      break;
    case PROP_POSITION:
      g_value_set_int (value, self->position);
      break;
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_PERIOD:
      g_value_set_uint (value, self->period);
      break;
    case PROP_MANAGED:
      g_value_set_boolean (value, self->managed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
entsec_account_summary_finalize (GObject *object)
{
  EntsecAccountSummary *self = ENTSEC_ACCOUNT_SUMMARY (object);

  g_free (self->issuer);
  g_free (self->label);
  g_free (self->group);
  G_OBJECT_CLASS (entsec_account_summary_parent_class)->finalize (object);
}

static void
entsec_account_summary_class_init (EntsecAccountSummaryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = entsec_account_summary_get_property;
  object_class->finalize = entsec_account_summary_finalize;
  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ISSUER] = g_param_spec_string ("issuer", NULL, NULL, NULL, flags);
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_GROUP] = g_param_spec_string ("group", NULL, NULL, NULL, flags);
  properties[PROP_FAVOURITE] = g_param_spec_boolean ("favourite", NULL, NULL, FALSE, flags);
  properties[PROP_POSITION] = g_param_spec_int ("position", NULL, NULL, G_MININT, G_MAXINT, 0,
                                                flags);
  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, ENTSEC_ACCOUNT_TOTP,
                                            ENTSEC_ACCOUNT_STEAM, ENTSEC_ACCOUNT_TOTP, flags);
  properties[PROP_PERIOD] = g_param_spec_uint ("period", NULL, NULL, 0, G_MAXUINT, 30, flags);
  properties[PROP_MANAGED] = g_param_spec_boolean ("managed", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
entsec_account_summary_init (EntsecAccountSummary *self)
{
}

EntsecAccountSummary *
entsec_account_summary_new_from_account (const EntsecAccount *account)
{
  EntsecAccountSummary *self;

  g_return_val_if_fail (account != NULL, NULL);
  self = g_object_new (ENTSEC_TYPE_ACCOUNT_SUMMARY, NULL);
  self->id = account->id;
  self->kind = account->type;
  self->issuer = g_strdup (account->issuer);
  self->label = g_strdup (account->label != NULL ? account->label : "");
  self->group = g_strdup (account->group);
  self->algorithm = account->algorithm;
  self->digits = account->digits;
  self->period = account->period;
  self->position = account->position;
  self->favourite = account->favourite;
  self->has_notes = account->notes != NULL && account->notes[0] != '\0';
  self->managed = account->managed_id != NULL;
  return self;
}

gint64
entsec_account_summary_get_id (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), 0);
  return self->id;
}

EntsecAccountType
entsec_account_summary_get_kind (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), ENTSEC_ACCOUNT_TOTP);
  return self->kind;
}

const char *
entsec_account_summary_get_issuer (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), NULL);
  return self->issuer;
}

const char *
entsec_account_summary_get_label (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), NULL);
  return self->label;
}

const char *
entsec_account_summary_get_group (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), NULL);
  return self->group;
}

EntsecOtpAlgorithm
entsec_account_summary_get_algorithm (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), ENTSEC_OTP_ALGORITHM_SHA1);
  return self->algorithm;
}

guint
entsec_account_summary_get_digits (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), 0);
  return self->digits;
}

guint
entsec_account_summary_get_period (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), 0);
  return self->period;
}

gint
entsec_account_summary_get_position (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), 0);
  return self->position;
}

gboolean
entsec_account_summary_get_favourite (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), FALSE);
  return self->favourite;
}

gboolean
entsec_account_summary_get_has_notes (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), FALSE);
  return self->has_notes;
}

gboolean
entsec_account_summary_get_managed (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), FALSE);
  return self->managed;
}

char *
entsec_account_summary_dup_display_name (EntsecAccountSummary *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (self), NULL);
  if (self->issuer != NULL && self->issuer[0] != '\0')
    return g_strdup_printf ("%s (%s)", self->issuer, self->label);
  return g_strdup (self->label);
}
