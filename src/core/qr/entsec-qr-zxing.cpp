/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-zxing.cpp: the C shim over zxing-cpp's ReadBarcodes (Debian's libzxing-dev 1.4) */

#define G_LOG_DOMAIN "entsec-qr"
#define ZX_USE_UTF8 1

#include "config.h"

#include <ZXing/ReadBarcode.h>
#include <gmodule.h>
#include <openssl/crypto.h>

#include "entsec-qr-zxing.h"

/* Payloads can hold secrets: wipe zxing's copies before they are freed. */
static void
wipe (std::string &text)
{
  if (!text.empty ())
    OPENSSL_cleanse (&text[0], text.size ());
}

static void
wipe (const ZXing::ByteArray &bytes)
{
  if (!bytes.empty ())
    OPENSSL_cleanse (const_cast<uint8_t *> (bytes.data ()), bytes.size ());
}

/* The module's one entry point, which entsec-qr-decoders.c looks up. */
G_MODULE_EXPORT guint
entsec_qr_zxing_scan (const guint8      *pixels,
                      guint              width,
                      guint              height,
                      EntsecQrZxingFound found,
                      gpointer           user_data)
{
  ZXing::DecodeHints hints;
  guint count = 0;

  hints.setFormats (ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder (true);
  hints.setTryRotate (true);
  /* The caller makes the smaller layers and reads them a call each (the time budget). */
  hints.setTryDownscale (false);
  try
    {
      ZXing::ImageView image (pixels, (int) width, (int) height, ZXing::ImageFormat::Lum);
      ZXing::Results results = ZXing::ReadBarcodes (image, hints);

      for (auto &result : results)
        {
          std::string text = result.text ();

          if (result.isValid ())
            {
              found (result.bytes ().data (), result.bytes ().size (), text.c_str (), user_data);
              count++;
            }
          wipe (text);
          wipe (result.bytes ());
        }
    }
  catch (const std::exception &e)
    {
      /* zxing reports a malformed image by throwing; it is no code then. */
      g_debug ("zxing-cpp gave up on an image: %s", e.what ());
    }
  return count;
}
