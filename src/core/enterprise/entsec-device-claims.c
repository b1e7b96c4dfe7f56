/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-device-claims.c: collect, describe and compare device claims.
 *
 * Everything is read from files a user can read (sysfs, procfs, /etc) plus
 * the ETHTOOL_GPERMADDR ioctl, which needs no privilege; the roots and the
 * permanent-address source are injectable so tests build fake devices.
 */
#define G_LOG_DOMAIN "entsec-device"

#include "config.h"

#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "entsec-core-private.h"
#include "entsec-device-claims.h"

G_DEFINE_QUARK (entsec-device-error-quark, entsec_device_error)

#define MAC_LEN 6
/* Room for the longest hardware address (MAX_ADDR_LEN in the kernel's netdevice.h). */
#define PERM_ADDR_MAX 32
/* The server's limit on a claim string, in bytes (docs/protocol.md 8.3). */
#define CLAIM_MAX_BYTES 256
/* The server's limit on `macs` entries. */
#define MACS_MAX 32
/* Files read here are one line; anything larger is not what we expect. */
#define FILE_MAX_BYTES 16384
#define ARPHRD_ETHER_TYPE 1
#define ARPHRD_LOOPBACK_TYPE 772

struct _EntsecDeviceSources
{
  char *sysfs_root;
  char *proc_root;
  char *etc_root;
  char *devicetree_root;
  EntsecDevicePermanentAddressFunc permanent_address;
  gpointer permanent_address_data;
};

typedef struct
{
  char *ifname;
  const char *kind;
  guint8 address[MAC_LEN];
} DeviceMac;

/* The members of `dmi` and `os`, in the order of the claims' arrays. */
typedef enum
{
  FIELD_SYS_VENDOR,
  FIELD_PRODUCT_NAME,
  FIELD_DT_MODEL,
  FIELD_DT_SERIAL,
  FIELD_OS_NAME,
  FIELD_OS_VERSION_ID,
  FIELD_KERNEL,
  FIELD_HOSTNAME,
  N_FIELDS
} DeviceField;

typedef struct
{
  const char *group;
  const char *name;
  const char *label;
  EntsecDeviceCollect collect;
} FieldInfo;

static const FieldInfo fields[N_FIELDS] = {
  { "dmi", "sys_vendor", "Computer maker", ENTSEC_DEVICE_COLLECT_DMI },
  { "dmi", "product_name", "Computer model", ENTSEC_DEVICE_COLLECT_DMI },
  { "dmi", "dt_model", "Device model (device tree)", ENTSEC_DEVICE_COLLECT_DMI },
  { "dmi", "dt_serial", "Device serial number (device tree)", ENTSEC_DEVICE_COLLECT_DMI },
  { "os", "name", "Operating system", ENTSEC_DEVICE_COLLECT_OS },
  { "os", "version_id", "Operating system version", ENTSEC_DEVICE_COLLECT_OS },
  { "os", "kernel", "Kernel release", ENTSEC_DEVICE_COLLECT_OS },
  { "os", "hostname", "Host name", ENTSEC_DEVICE_COLLECT_OS },
};

struct _EntsecDeviceClaims
{
  char *machine_app_id; /* 32 lowercase hex digits */
  GPtrArray *macs;      /* DeviceMac, sorted by name */
  char *values[N_FIELDS];
  GPtrArray *skipped; /* NULL-terminated */
};

/* Sources */

static gboolean ethtool_permanent_address (const char *ifname,
                                           guint8     *address,
                                           gpointer    user_data);

EntsecDeviceSources *
entsec_device_sources_new (void)
{
  EntsecDeviceSources *self = g_new0 (EntsecDeviceSources, 1);

  self->sysfs_root = g_strdup ("/sys");
  self->proc_root = g_strdup ("/proc");
  self->etc_root = g_strdup ("/etc");
  self->permanent_address = ethtool_permanent_address;
  return self;
}

void
entsec_device_sources_free (EntsecDeviceSources *self)
{
  if (self == NULL)
    return;
  g_free (self->sysfs_root);
  g_free (self->proc_root);
  g_free (self->etc_root);
  g_free (self->devicetree_root);
  g_free (self);
}

static void
replace_root (char      **slot,
              const char *root)
{
  g_free (*slot);
  *slot = g_strdup (root);
}

void
entsec_device_sources_set_sysfs_root (EntsecDeviceSources *self,
                                      const char          *root)
{
  g_return_if_fail (self != NULL && root != NULL);
  replace_root (&self->sysfs_root, root);
}

void
entsec_device_sources_set_proc_root (EntsecDeviceSources *self,
                                     const char          *root)
{
  g_return_if_fail (self != NULL && root != NULL);
  replace_root (&self->proc_root, root);
}

void
entsec_device_sources_set_etc_root (EntsecDeviceSources *self,
                                    const char          *root)
{
  g_return_if_fail (self != NULL && root != NULL);
  replace_root (&self->etc_root, root);
}

void
entsec_device_sources_set_devicetree_root (EntsecDeviceSources *self,
                                           const char          *root)
{
  g_return_if_fail (self != NULL && root != NULL);
  replace_root (&self->devicetree_root, root);
}

void
entsec_device_sources_set_permanent_address_func (EntsecDeviceSources             *self,
                                                  EntsecDevicePermanentAddressFunc func,
                                                  gpointer                         user_data)
{
  g_return_if_fail (self != NULL);
  self->permanent_address = func;
  self->permanent_address_data = user_data;
}

/*
 * The burnt-in address the driver reports, which stays put while
 * NetworkManager or Android randomise the address in use. Needs no privilege.
 */
static gboolean
ethtool_permanent_address (const char *ifname,
                           guint8     *address,
                           gpointer    user_data)
{
  union
  {
    struct ethtool_perm_addr request;
    guint8 bytes[sizeof (struct ethtool_perm_addr) + PERM_ADDR_MAX];
  } buffer = { 0 };
  struct ifreq ifr = { 0 };
  int fd;
  int status;

  if (strlen (ifname) >= sizeof ifr.ifr_name)
    return FALSE;
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  buffer.request.cmd = ETHTOOL_GPERMADDR;
  buffer.request.size = PERM_ADDR_MAX;
  memcpy (ifr.ifr_name, ifname, strlen (ifname));
  ifr.ifr_data = (void *) &buffer;
  status = ioctl (fd, SIOCETHTOOL, &ifr);
  close (fd);
  if (status < 0 || buffer.request.size != MAC_LEN)
    return FALSE;
  memcpy (address, buffer.request.data, MAC_LEN);
  return TRUE;
}

/* Reading files */

static void
skip (EntsecDeviceClaims *claims,
      const char         *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
skip (EntsecDeviceClaims *claims,
      const char         *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_insert (claims->skipped, claims->skipped->len - 1, g_strdup_vprintf (format, args));
  va_end (args);
}

/* The file's text without trailing white space and NULs (device-tree strings). */
static char *
read_text (const char *root,
           const char *relative)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL) || length > FILE_MAX_BYTES)
    return NULL;
  while (length > 0 && (contents[length - 1] == '\0' || g_ascii_isspace (contents[length - 1])))
    length--;
  return g_strndup (contents, length);
}

/* A claim the server accepts and a person can read: printable UTF-8, short. */
static gboolean
claim_text_ok (const char *text)
{
  if (*text == '\0' || strlen (text) > CLAIM_MAX_BYTES || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (!g_unichar_isprint (g_utf8_get_char (p)))
        return FALSE;
    }
  return TRUE;
}

static void
set_field (EntsecDeviceClaims *claims,
           DeviceField         field,
           char               *value /* transfer full */,
           const char         *where)
{
  if (value == NULL)
    return;
  if (!claim_text_ok (value))
    {
      skip (claims, "%s.%s: %s is empty, too long or not printable text", fields[field].group,
            fields[field].name, where);
      g_free (value);
      return;
    }
  claims->values[field] = value;
}

/* The machine id and its app-specific form */

static gboolean
parse_id128 (const char *text,
             guint8      id[16])
{
  if (strlen (text) != 32)
    return FALSE;
  for (guint i = 0; i < 16; i++)
    {
      int high = g_ascii_xdigit_value (text[2 * i]);
      int low = g_ascii_xdigit_value (text[2 * i + 1]);

      if (high < 0 || low < 0)
        return FALSE;
      id[i] = (guint8) (high << 4 | low);
    }
  return TRUE;
}

/*
 * sd_id128_get_machine_app_specific(): HMAC-SHA256 keyed by the machine id
 * over the app id, the first 16 bytes made a version 4 UUID. Another app
 * cannot link our value to its own, nor recover the machine id.
 */
static char *
machine_app_specific (const guint8 machine_id[16])
{
  guint8 app_id[16];
  guint8 mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  char *hex;

  if (!parse_id128 (ENTSEC_DEVICE_APP_ID, app_id))
    g_assert_not_reached ();
  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, machine_id, 16, app_id, sizeof app_id, mac,
                 sizeof mac, &mac_len)
      == NULL)
    return NULL;
  mac[6] = (mac[6] & 0x0F) | 0x40;
  mac[8] = (mac[8] & 0x3F) | 0x80;
  hex = g_malloc (33);
  for (guint i = 0; i < 16; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", mac[i]);
  OPENSSL_cleanse (mac, sizeof mac);
  return hex;
}

static void
collect_machine_id (EntsecDeviceClaims        *claims,
                    const EntsecDeviceSources *sources)
{
  g_autofree char *text = read_text (sources->etc_root, "machine-id");
  guint8 id[16];

  if (text == NULL)
    {
      skip (claims, "machine_fp: machine-id cannot be read; run systemd-machine-id-setup");
      return;
    }
  if (!parse_id128 (text, id))
    {
      skip (claims, "machine_fp: machine-id is not 32 hexadecimal digits; run "
                    "systemd-machine-id-setup");
      OPENSSL_cleanse (text, strlen (text));
      return;
    }
  claims->machine_app_id = machine_app_specific (id);
  OPENSSL_cleanse (id, sizeof id);
  OPENSSL_cleanse (text, strlen (text));
}

/* Network cards */

static gboolean
parse_mac (const char *text,
           guint8      address[MAC_LEN])
{
  if (strlen (text) != 3 * MAC_LEN - 1)
    return FALSE;
  for (guint i = 0; i < MAC_LEN; i++)
    {
      int high = g_ascii_xdigit_value (text[3 * i]);
      int low = g_ascii_xdigit_value (text[3 * i + 1]);

      if (high < 0 || low < 0 || (i + 1 < MAC_LEN && text[3 * i + 2] != ':'))
        return FALSE;
      address[i] = (guint8) (high << 4 | low);
    }
  return TRUE;
}

static char *
format_mac (const guint8 address[MAC_LEN])
{
  return g_strdup_printf ("%02x:%02x:%02x:%02x:%02x:%02x", address[0], address[1], address[2],
                          address[3], address[4], address[5]);
}

static gboolean
mac_is_zero (const guint8 address[MAC_LEN])
{
  for (guint i = 0; i < MAC_LEN; i++)
    {
      if (address[i] != 0)
        return FALSE;
    }
  return TRUE;
}

/* Why @address cannot identify hardware, or NULL when it can. */
static const char *
mac_unusable (const guint8 address[MAC_LEN])
{
  if (mac_is_zero (address))
    return "all zero";
  if (address[0] & 0x01)
    return "a multicast address";
  if (address[0] & 0x02)
    return "locally administered";
  return NULL;
}

static gboolean
net_exists (const char *net,
            const char *ifname,
            const char *entry)
{
  g_autofree char *path = g_build_filename (net, ifname, entry, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
}

static gint64
net_number (const char *net,
            const char *ifname,
            const char *entry)
{
  g_autofree char *relative = g_build_filename (ifname, entry, NULL);
  g_autofree char *text = read_text (net, relative);
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &value, NULL))
    return -1;
  return (gint64) value;
}

/* The address the card was made with: ethtool's, else the one in use if sysfs says it is that. */
static gboolean
card_address (EntsecDeviceClaims        *claims,
              const EntsecDeviceSources *sources,
              const char                *net,
              const char                *ifname,
              guint8                     address[MAC_LEN])
{
  g_autofree char *relative = g_build_filename (ifname, "address", NULL);
  g_autofree char *text = NULL;
  const char *why;
  gint64 assign_type;

  if (sources->permanent_address != NULL
      && sources->permanent_address (ifname, address, sources->permanent_address_data))
    {
      why = mac_unusable (address);
      if (why == NULL)
        return TRUE;
      skip (claims, "%s: the permanent address is %s", ifname, why);
      return FALSE;
    }
  assign_type = net_number (net, ifname, "addr_assign_type");
  if (assign_type != 0)
    {
      skip (claims, "%s: randomised or assigned address (addr_assign_type %" G_GINT64_FORMAT
                    ") and no permanent address",
            ifname, assign_type);
      return FALSE;
    }
  text = read_text (net, relative);
  if (text == NULL || !parse_mac (text, address))
    {
      skip (claims, "%s: the address is not a MAC address (xx:xx:xx:xx:xx:xx)", ifname);
      return FALSE;
    }
  why = mac_unusable (address);
  if (why != NULL)
    {
      skip (claims, "%s: the address is %s", ifname, why);
      return FALSE;
    }
  return TRUE;
}

static const char *
card_kind (EntsecDeviceClaims *claims,
           const char         *net,
           const char         *ifname)
{
  gint64 type = net_number (net, ifname, "type");

  if (type == ARPHRD_LOOPBACK_TYPE)
    {
      skip (claims, "%s: loopback", ifname);
      return NULL;
    }
  if (!net_exists (net, ifname, "device"))
    {
      skip (claims, "%s: virtual interface (no device link)", ifname);
      return NULL;
    }
  if (net_exists (net, ifname, "wireless") || net_exists (net, ifname, "phy80211"))
    return "wifi";
  if (type == ARPHRD_ETHER_TYPE)
    return "ethernet";
  skip (claims, "%s: neither Ethernet nor Wi-Fi (type %" G_GINT64_FORMAT ")", ifname, type);
  return NULL;
}

static void
device_mac_free (gpointer data)
{
  DeviceMac *mac = data;

  g_free (mac->ifname);
  OPENSSL_cleanse (mac->address, sizeof mac->address);
  g_free (mac);
}

static int
device_mac_compare (gconstpointer a,
                    gconstpointer b)
{
  const DeviceMac *left = *(DeviceMac * const *) a;
  const DeviceMac *right = *(DeviceMac * const *) b;

  return strcmp (left->ifname, right->ifname);
}

static void
collect_macs (EntsecDeviceClaims        *claims,
              const EntsecDeviceSources *sources)
{
  g_autofree char *net = g_build_filename (sources->sysfs_root, "class", "net", NULL);
  g_autoptr (GDir) dir = g_dir_open (net, 0, NULL);
  const char *ifname;

  if (dir == NULL)
    {
      skip (claims, "macs: %s cannot be read", "class/net in sysfs");
      return;
    }
  while ((ifname = g_dir_read_name (dir)) != NULL)
    {
      guint8 address[MAC_LEN];
      const char *kind;
      DeviceMac *mac;

      if (!claim_text_ok (ifname))
        {
          skip (claims, "macs: an interface whose name is not printable text");
          continue;
        }
      kind = card_kind (claims, net, ifname);
      if (kind == NULL || !card_address (claims, sources, net, ifname, address))
        continue;
      mac = g_new0 (DeviceMac, 1);
      mac->ifname = g_strdup (ifname);
      mac->kind = kind;
      memcpy (mac->address, address, MAC_LEN);
      g_ptr_array_add (claims->macs, mac);
    }
  g_ptr_array_sort (claims->macs, device_mac_compare);
  if (claims->macs->len > MACS_MAX)
    {
      skip (claims, "macs: only the first %d of %u cards by name are sent", MACS_MAX,
            claims->macs->len);
      g_ptr_array_set_size (claims->macs, MACS_MAX);
    }
}

/* DMI, device tree, OS */

static void
collect_hardware (EntsecDeviceClaims        *claims,
                  const EntsecDeviceSources *sources)
{
  g_autofree char *dmi = g_build_filename (sources->sysfs_root, "class", "dmi", "id", NULL);
  g_autofree char *tree = sources->devicetree_root != NULL
                            ? g_strdup (sources->devicetree_root)
                            : g_build_filename (sources->sysfs_root, "firmware", "devicetree",
                                                "base", NULL);

  /* product_serial and the board serial are root-only; not asked for. */
  set_field (claims, FIELD_SYS_VENDOR, read_text (dmi, "sys_vendor"), "sys_vendor in DMI");
  set_field (claims, FIELD_PRODUCT_NAME, read_text (dmi, "product_name"), "product_name in DMI");
  set_field (claims, FIELD_DT_MODEL, read_text (tree, "model"), "model in the device tree");
  set_field (claims, FIELD_DT_SERIAL, read_text (tree, "serial-number"),
             "serial-number in the device tree");
}

/* NAME and VERSION_ID of os-release(5): shell-quoted KEY=VALUE lines. */
static void
collect_os_release (EntsecDeviceClaims        *claims,
                    const EntsecDeviceSources *sources)
{
  g_autofree char *text = read_text (sources->etc_root, "os-release");
  g_auto (GStrv) lines = NULL;

  if (text == NULL)
    {
      skip (claims, "os.name: os-release cannot be read");
      return;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);
      const char *equals = strchr (line, '=');
      g_autofree char *key = NULL;
      char *value;
      DeviceField field;

      if (*line == '\0' || *line == '#')
        continue;
      if (equals == NULL)
        {
          skip (claims, "os: line %u of os-release is not KEY=VALUE", i + 1);
          continue;
        }
      key = g_strndup (line, (gsize) (equals - line));
      if (strcmp (key, "NAME") == 0)
        field = FIELD_OS_NAME;
      else if (strcmp (key, "VERSION_ID") == 0)
        field = FIELD_OS_VERSION_ID;
      else
        continue;
      value = g_shell_unquote (equals + 1, NULL);
      if (value == NULL)
        skip (claims, "os: the quoting of %s in os-release is broken", key);
      g_clear_pointer (&claims->values[field], g_free);
      set_field (claims, field, value, key);
    }
}

static void
collect_os (EntsecDeviceClaims        *claims,
            const EntsecDeviceSources *sources)
{
  collect_os_release (claims, sources);
  /* The same as uname(2)'s release and nodename, under an injectable root. */
  set_field (claims, FIELD_KERNEL, read_text (sources->proc_root, "sys/kernel/osrelease"),
             "sys/kernel/osrelease in procfs");
  set_field (claims, FIELD_HOSTNAME, read_text (sources->proc_root, "sys/kernel/hostname"),
             "sys/kernel/hostname in procfs");
}

EntsecDeviceClaims *
entsec_device_claims_collect (const EntsecDeviceSources *sources)
{
  g_autoptr (EntsecDeviceSources) system = NULL;
  EntsecDeviceClaims *claims = g_new0 (EntsecDeviceClaims, 1);

  if (sources == NULL)
    {
      system = entsec_device_sources_new ();
      sources = system;
    }
  claims->macs = g_ptr_array_new_with_free_func (device_mac_free);
  claims->skipped = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (claims->skipped, NULL);
  collect_machine_id (claims, sources);
  collect_macs (claims, sources);
  collect_hardware (claims, sources);
  collect_os (claims, sources);
  return claims;
}

void
entsec_device_claims_free (EntsecDeviceClaims *self)
{
  if (self == NULL)
    return;
  if (self->machine_app_id != NULL)
    OPENSSL_cleanse (self->machine_app_id, strlen (self->machine_app_id));
  g_free (self->machine_app_id);
  g_ptr_array_unref (self->macs);
  for (guint i = 0; i < N_FIELDS; i++)
    g_free (self->values[i]);
  g_ptr_array_unref (self->skipped);
  g_free (self);
}

const char * const *
entsec_device_claims_get_skipped (const EntsecDeviceClaims *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->skipped->pdata;
}

gboolean
entsec_device_collect_from_names (const char * const *names,
                                  EntsecDeviceCollect *collect,
                                  GError            **error)
{
  static const char *const known[] = { "machine_fp", "macs", "dmi", "os" };

  g_return_val_if_fail (names != NULL && collect != NULL, FALSE);
  *collect = 0;
  for (guint i = 0; names[i] != NULL; i++)
    {
      guint bit = 0;

      while (bit < G_N_ELEMENTS (known) && strcmp (names[i], known[bit]) != 0)
        bit++;
      if (bit == G_N_ELEMENTS (known))
        {
          g_autofree char *shown = entsec_dup_printable (names[i], -1, 40);

          g_set_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID,
                       "The policy asks for the unknown device claim \"%s\"; this version of "
                       "entsec knows machine_fp, macs, dmi and os: update entsec",
                       shown);
          return FALSE;
        }
      *collect |= 1u << bit;
    }
  return TRUE;
}

/* The sending form */

/* HMAC-SHA256 under the salt over "name" NUL value, base64url without padding. */
static char *
claim_hmac (GBytes     *salt,
            const char *name,
            const char *value)
{
  g_autoptr (GByteArray) message = g_byte_array_new ();
  guint8 mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  gsize salt_len = 0;
  const guint8 *salt_data = g_bytes_get_data (salt, &salt_len);
  char *text;

  g_byte_array_append (message, (const guint8 *) name, (guint) strlen (name) + 1);
  g_byte_array_append (message, (const guint8 *) value, (guint) strlen (value));
  /* Only a broken OpenSSL install or no memory fails here, as g_malloc() would. */
  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, salt_data, salt_len, message->data,
                 message->len, mac, sizeof mac, &mac_len)
      == NULL)
    g_error ("OpenSSL cannot compute HMAC-SHA256");
  OPENSSL_cleanse (message->data, message->len);
  text = g_base64_encode (mac, mac_len);
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  g_strdelimit (text, "=", '\0');
  return text;
}

static void
add_item (GPtrArray  *items,
          char       *field /* transfer full */,
          const char *label,
          const char *value,
          gboolean    raw_sent)
{
  EntsecDeviceShareItem *item;

  if (items == NULL)
    {
      g_free (field);
      return;
    }
  item = g_new0 (EntsecDeviceShareItem, 1);
  item->field = field;
  item->label = g_strdup (label);
  item->value = g_strdup (value);
  item->raw_sent = raw_sent;
  g_ptr_array_add (items, item);
}

static void
set_string (json_t     *object,
            const char *key,
            char       *value /* transfer full */)
{
  json_object_set_new (object, key, json_string (value));
  g_free (value);
}

static json_t *
build_macs (const EntsecDeviceClaims *claims,
            GBytes                   *salt,
            gboolean                  raw,
            GPtrArray                *items)
{
  json_t *macs = json_array ();

  for (guint i = 0; i < claims->macs->len; i++)
    {
      const DeviceMac *mac = g_ptr_array_index (claims->macs, i);
      g_autofree char *text = format_mac (mac->address);
      g_autofree char *label = g_strdup_printf ("Hardware address of the %s card %s",
                                                strcmp (mac->kind, "wifi") == 0 ? "Wi-Fi"
                                                                                  : "Ethernet",
                                                mac->ifname);
      json_t *entry = json_object ();

      json_object_set_new (entry, "if", json_string (mac->ifname));
      json_object_set_new (entry, "kind", json_string (mac->kind));
      set_string (entry, "mac_hmac", claim_hmac (salt, "mac", text));
      if (raw)
        json_object_set_new (entry, "mac", json_string (text));
      json_array_append_new (macs, entry);
      add_item (items, g_strdup_printf ("macs[%s]", mac->ifname), label, text, raw);
    }
  return macs;
}

static void
build_fields (json_t                   *device,
              const EntsecDeviceClaims *claims,
              GBytes                   *salt,
              EntsecDeviceCollect       collect,
              gboolean                  raw,
              GPtrArray                *items)
{
  for (guint i = 0; i < N_FIELDS; i++)
    {
      const FieldInfo *info = &fields[i];
      json_t *group;

      if (!(collect & info->collect))
        continue;
      group = json_object_get (device, info->group);
      if (group == NULL)
        {
          group = json_object ();
          json_object_set_new (device, info->group, group);
        }
      if (claims->values[i] == NULL)
        continue;
      set_string (group, info->name, claim_hmac (salt, info->name, claims->values[i]));
      if (raw)
        {
          g_autofree char *raw_key = g_strconcat (info->name, "_raw", NULL);

          json_object_set_new (group, raw_key, json_string (claims->values[i]));
        }
      add_item (items, g_strdup_printf ("%s.%s", info->group, info->name), info->label,
                claims->values[i], raw);
    }
}

json_t *
entsec_device_claims_build (const EntsecDeviceClaims *claims,
                            GBytes                   *tenant_salt,
                            EntsecDeviceCollect       collect,
                            EntsecDeviceRaw           raw,
                            GPtrArray                *items,
                            GError                  **error)
{
  gboolean send_raw = (raw & ENTSEC_DEVICE_RAW_POLICY_ASKS) != 0
                      && (raw & ENTSEC_DEVICE_RAW_USER_AGREED) != 0;
  json_t *device;

  g_return_val_if_fail (claims != NULL && tenant_salt != NULL, NULL);
  if (g_bytes_get_size (tenant_salt) == 0)
    {
      g_set_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID,
                   "The enrollment gave no tenant salt; enroll this device again");
      return NULL;
    }
  device = json_object ();
  /* The machine id is never sent raw: machine-id(5) asks to keep it private. */
  if ((collect & ENTSEC_DEVICE_COLLECT_MACHINE_FP) && claims->machine_app_id != NULL)
    {
      set_string (device, "machine_fp", claim_hmac (tenant_salt, "machine_fp",
                                                    claims->machine_app_id));
      add_item (items, g_strdup ("machine_fp"), "Machine identifier (specific to entsec)",
                claims->machine_app_id, FALSE);
    }
  if (collect & ENTSEC_DEVICE_COLLECT_MACS)
    json_object_set_new (device, "macs", build_macs (claims, tenant_salt, send_raw, items));
  build_fields (device, claims, tenant_salt, collect, send_raw, items);
  return device;
}

void
entsec_device_share_item_free (EntsecDeviceShareItem *item)
{
  if (item == NULL)
    return;
  g_free (item->field);
  g_free (item->label);
  g_free (item->value);
  g_free (item);
}

char *
entsec_device_describe (const EntsecDeviceClaims *claims,
                        GBytes                   *tenant_salt,
                        EntsecDeviceCollect       collect,
                        EntsecDeviceRaw           raw,
                        GPtrArray               **items,
                        GError                  **error)
{
  g_autoptr (GPtrArray) list = NULL;
  json_t *device;
  char *text;

  g_return_val_if_fail (claims != NULL && tenant_salt != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (items != NULL)
    list = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_device_share_item_free);
  device = entsec_device_claims_build (claims, tenant_salt, collect, raw, list, error);
  if (device == NULL)
    return NULL;
  text = json_dumps (device, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref (device);
  if (text == NULL)
    g_error ("Out of memory");
  if (items != NULL)
    *items = g_steal_pointer (&list);
  /* jansson's allocator is malloc, GLib's too (GLib >= 2.46). */
  return text;
}
