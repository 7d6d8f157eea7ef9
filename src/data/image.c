/* PNG and JPEG decoding through the Debian libraries (libpng 1.6's
 * simplified API, libjpeg-turbo), never by hand.  Output: planar uint8
 * [C, H, W] with C = 1 (grayscale source) or 3 (colour source):
 *   PNG  gray / gray+alpha            -> C = 1
 *        RGB / RGBA / palette         -> C = 3
 *        alpha (and tRNS)             -> composited onto black by libpng
 *        16-bit samples               -> 8-bit by libpng (16-bit is linear light
 *                                            to libpng: sRGB-encoded, not >> 8)
 *   JPEG grayscale                    -> C = 1
 *        YCbCr / RGB                  -> C = 3 (libjpeg's colour conversion)
 *        CMYK / YCCK                  -> refused (no RGB conversion in libjpeg)
 * A libjpeg warning (e.g. "Premature end of JPEG file": a truncated file
 * that libjpeg would pad with grey) is an error here: a training image that
 * decodes to something else than its file says must not pass silently. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jpeglib.h>
#include <png.h>

#include "data/data_internal.h"

static const unsigned char PNG_MAGIC[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static eip_status check_dims(const char *name, const char *kind, uint64_t h, uint64_t w,
                             eip_error *err)
{
    if (h < 1 || w < 1 || h > EIP_DATA_MAX_DIM || w > EIP_DATA_MAX_DIM)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: %s image is %llux%llu (HxW allowed 1..%d)",
                             name, kind, (unsigned long long)h, (unsigned long long)w, EIP_DATA_MAX_DIM);
    return EIP_OK;
}

/* Interleaved [H, W, C] -> planar [C, H, W] into a new buffer. */
static uint8_t *to_planar(const uint8_t *hwc, int32_t c, int32_t h, int32_t w)
{
    const size_t plane = (size_t)h * (size_t)w;
    uint8_t *out = malloc((size_t)c * plane); /* [C, H, W] */
    if (!out)
        return NULL;
    for (size_t i = 0; i < plane; i++)
        for (int32_t k = 0; k < c; k++)
            out[(size_t)k * plane + i] = hwc[i * (size_t)c + (size_t)k];
    return out;
}

eip_status eip_data_png_from_memory(const unsigned char *buf, size_t len, const char *name,
                                    uint8_t **px, int32_t *c, int32_t *h, int32_t *w, eip_error *err)
{
    *px = NULL;
    *c = *h = *w = 0;
    if (len < sizeof PNG_MAGIC || memcmp(buf, PNG_MAGIC, sizeof PNG_MAGIC))
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not a PNG file (no PNG signature)", name);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, buf, len)) {
        eip_status s = eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PNG: %s", name, img.message);
        png_image_free(&img);
        return s;
    }
    eip_status s = check_dims(name, "PNG", img.height, img.width, err);
    if (s) {
        png_image_free(&img);
        return s;
    }
    const int color = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
    img.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    const int32_t cc = color ? 3 : 1, hh = (int32_t)img.height, ww = (int32_t)img.width;
    uint8_t *hwc = malloc(PNG_IMAGE_SIZE(img)); /* [H, W, C] */
    if (!hwc) {
        png_image_free(&img);
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    }
    const png_color black = {0, 0, 0};
    if (!png_image_finish_read(&img, &black, hwc, 0, NULL)) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: bad PNG: %s", name, img.message);
        png_image_free(&img);
        free(hwc);
        return s;
    }
    png_image_free(&img);
    *px = cc == 1 ? hwc : to_planar(hwc, cc, hh, ww);
    if (cc != 1)
        free(hwc);
    if (!*px)
        return eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
    *c = cc;
    *h = hh;
    *w = ww;
    return EIP_OK;
}

/* libjpeg reports errors through error_exit, which must not return: jump
 * back with the message kept. */
typedef struct jerr_ctx {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    int warned;
} jerr_ctx;

static void jerr_exit(j_common_ptr cinfo)
{
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    e->mgr.format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void jerr_emit(j_common_ptr cinfo, int level)
{
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    if (level < 0 && !e->warned) { /* a warning: corrupt or truncated data */
        e->mgr.format_message(cinfo, e->msg);
        e->warned = 1;
    }
}

static void jerr_output(j_common_ptr cinfo) { (void)cinfo; /* the library never prints */ }

eip_status eip_data_jpeg_from_memory(const unsigned char *buf, size_t len, const char *name,
                                     uint8_t **px, int32_t *c, int32_t *h, int32_t *w, eip_error *err)
{
    *px = NULL;
    *c = *h = *w = 0;
    if (len < 3 || buf[0] != 0xFF || buf[1] != 0xD8 || buf[2] != 0xFF)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not a JPEG file (no FF D8 FF start)", name);
    if (len > (size_t)0xFFFFFFFFu)
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: JPEG file too large", name);
    struct jpeg_decompress_struct cinfo;
    jerr_ctx je;
    memset(&je, 0, sizeof je);
    cinfo.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = jerr_exit;
    je.mgr.emit_message = jerr_emit;
    je.mgr.output_message = jerr_output;
    /* Modified after setjmp and read after a longjmp: volatile. */
    uint8_t *volatile hwc = NULL;
    volatile eip_status s = EIP_OK;
    if (setjmp(je.jump)) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: bad JPEG: %s", name, je.msg);
        goto done;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: CMYK JPEG is not supported (convert it to RGB)",
                          name);
        goto done;
    }
    if ((s = check_dims(name, "JPEG", cinfo.image_height, cinfo.image_width, err)))
        goto done;
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    const int32_t cc = cinfo.output_components, hh = (int32_t)cinfo.output_height,
                  ww = (int32_t)cinfo.output_width;
    if (cc != 1 && cc != 3) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: JPEG decodes to %d components", name, (int)cc);
        goto done;
    }
    const size_t stride = (size_t)ww * (size_t)cc;
    hwc = malloc(stride * (size_t)hh); /* [H, W, C] */
    if (!hwc) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = hwc + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (je.warned) {
        s = eip_error_set(err, EIP_ERR_FORMAT, "%s: bad JPEG: %s", name, je.msg);
        goto done;
    }
    *px = cc == 1 ? hwc : to_planar(hwc, cc, hh, ww);
    if (cc == 1)
        hwc = NULL;
    if (!*px) {
        s = eip_error_set(err, EIP_ERR_NOMEM, "%s: out of memory", name);
        goto done;
    }
    *c = cc;
    *h = hh;
    *w = ww;
done:
    jpeg_destroy_decompress(&cinfo);
    free(hwc);
    return s;
}

eip_data_image_kind eip_data_image_kind_of(const char *path, const unsigned char *head, size_t len)
{
    /* The extension decides first, so that a text file named x.png gets
     * "not a PNG file" rather than "unknown format". */
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (dot && (!slash || dot > slash)) {
        if (!strcasecmp(dot, ".png"))
            return EIP_DATA_IMAGE_PNG;
        if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"))
            return EIP_DATA_IMAGE_JPEG;
        if (!strcasecmp(dot, ".npy"))
            return EIP_DATA_IMAGE_NPY;
    }
    if (head && len >= sizeof PNG_MAGIC && !memcmp(head, PNG_MAGIC, sizeof PNG_MAGIC))
        return EIP_DATA_IMAGE_PNG;
    if (head && len >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        return EIP_DATA_IMAGE_JPEG;
    if (head && len >= 6 && !memcmp(head, "\x93NUMPY", 6))
        return EIP_DATA_IMAGE_NPY;
    return EIP_DATA_IMAGE_OTHER;
}

eip_status eip_data_image_from_memory(const unsigned char *buf, size_t len, const char *name,
                                      uint8_t **px, int32_t *c, int32_t *h, int32_t *w,
                                      eip_error *err)
{
    switch (eip_data_image_kind_of(name, buf, len)) {
    case EIP_DATA_IMAGE_PNG:
        return eip_data_png_from_memory(buf, len, name, px, c, h, w, err);
    case EIP_DATA_IMAGE_JPEG:
        return eip_data_jpeg_from_memory(buf, len, name, px, c, h, w, err);
    default:
        *px = NULL;
        *c = *h = *w = 0;
        return eip_error_set(err, EIP_ERR_FORMAT, "%s: not a PNG or JPEG image", name);
    }
}

eip_status eip_data_image_load(const char *path, uint8_t **px, int32_t *c, int32_t *h, int32_t *w,
                               eip_error *err)
{
    *px = NULL;
    *c = *h = *w = 0;
    unsigned char *buf = NULL;
    size_t len = 0;
    eip_status s = eip_data_read_file(path, &buf, &len, err);
    if (s)
        return s;
    s = eip_data_image_from_memory(buf, len, path, px, c, h, w, err);
    free(buf);
    return s;
}
