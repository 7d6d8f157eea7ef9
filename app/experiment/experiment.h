/* encryip experiment module — experiment drivers and their small shared
 * writers: string tables written as CSV and markdown, and line plots drawn
 * with gnuplot (PNG).  Drivers: AdvParams (app/experiment/advparams_*.c);
 * the EncryIP experiments add theirs here.
 *
 * Writers are atomic (encryip/util.h); a missing gnuplot is EIP_ERR_IO with a
 * message saying so (tables are still written by the callers first). */
#ifndef ENCRYIP_EXPERIMENT_H
#define ENCRYIP_EXPERIMENT_H

#include <stdint.h>
#include <stdio.h>

#include "encryip/advparams.h"
#include "encryip/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- tables */

typedef struct eip_exp_table eip_exp_table_t;

/* A table with `ncols` named columns. */
eip_status eip_exp_table_init(eip_exp_table_t **out, const char *const *cols, int ncols,
                              eip_error *err);
void eip_exp_table_free(eip_exp_table_t *t);
/* Appends a row: printf-style text whose cells are separated by '\t'; the
 * cell count must equal the column count (EIP_ERR_ARG otherwise). */
eip_status eip_exp_table_rowf(eip_exp_table_t *t, eip_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t eip_exp_table_rows(const eip_exp_table_t *t);
/* Cell text (NULL when out of range). */
const char *eip_exp_table_cell(const eip_exp_table_t *t, int64_t row, int col);
/* CSV (RFC 4180 quoting when a cell has a comma, quote or newline). */
eip_status eip_exp_table_write_csv(const eip_exp_table_t *t, const char *path, eip_error *err);
/* GitHub markdown table (cells' '|' escaped) to fp. */
void eip_exp_table_print_md(const eip_exp_table_t *t, FILE *fp);
/* "## title\n\n" + table, atomically to path. */
eip_status eip_exp_table_write_md(const eip_exp_table_t *t, const char *title, const char *path,
                                  eip_error *err);

/* -------------------------------------------------------------- plots */

typedef struct eip_exp_series {
    const char *name;  /* legend */
    int64_t n;
    const double *x;   /* [n] */
    const double *y;   /* [n] */
} eip_exp_series;

typedef struct eip_exp_plot {
    const char *png_path;        /* output; the gnuplot script goes to png_path + ".gp" */
    const char *title, *xlabel, *ylabel;
    int logx;                    /* log-scale x axis */
    double ymin, ymax;           /* ymin == ymax: autoscale */
    int n_series;
    const eip_exp_series *series; /* [n_series] */
    const char *subtitle;        /* second title line: the scale (width, images, repeats); or NULL */
    int x_integer;               /* x is a count (epochs, rounds): integer ticks only */
} eip_exp_plot;

/* Writes the script (with inline data) and runs `gnuplot` on it
 * (pngcairo terminal, falling back to png). */
eip_status eip_exp_plot_lines(const eip_exp_plot *p, eip_error *err);

/* One bar per label (values >= 0), the value printed above each bar; the
 * subtitle (may be NULL) goes on a second line under the title. */
typedef struct eip_exp_bars {
    const char *png_path;        /* output; the gnuplot script goes to png_path + ".gp" */
    const char *title, *subtitle, *ylabel;
    int n;
    const char *const *labels;   /* [n] */
    const double *values;        /* [n] */
} eip_exp_bars;

eip_status eip_exp_plot_bars(const eip_exp_bars *p, eip_error *err);

/* Where an experiment writes and what it records: every driver's config
 * holds one (`out`), filled by its application (the CLI: --out, --no-plots). */
typedef struct eip_exp_output {
    const char *dir;     /* existing directory for *.md, *.csv, *.png (and models) */
    const char *command; /* the command line, recorded in the markdown (may be NULL) */
    FILE *log;           /* progress lines (may be NULL) */
    int plots;           /* 1: gnuplot PNGs (drivers that draw) */
} eip_exp_output;

/* ------------------------------------------------ AdvParams experiment */

typedef struct eip_exp_advparams_config {
    const char *dataset;     /* "fashion-mnist", "mnist", "cifar10", "gtsrb" */
    const char *data_dir;    /* NULL = default location */
    eip_exp_output out;      /* directory, log (command and plots unused) */
    const char *models;      /* comma list of zoo names */
    const char *model_file;  /* non-NULL: use this trained model instead of training */
    double width;            /* > 0: every model at this width; else per-model defaults */
    int64_t train_limit;     /* base training images (0 = all; eip_data_set_subset_random, EIP_DATA_LIMIT_SEED) */
    int64_t epochs;          /* base training epochs */
    int64_t test_limit;      /* test images for every accuracy (0 = all) */
    int64_t enc_images;      /* encryption set size */
    int64_t budget;          /* AdvParams parameter budget */
    double target_acc;       /* encryption-set stop accuracy (<= 0: the library's 1/classes + 0.05) */
    double reach;            /* eip_advparams_config.reach, (0, 1] (default 1) */
    int64_t trials;          /* eip_advparams_config.trials (default 32) */
    eip_advparams_objective objective; /* eip_advparams_config.objective (default MARGIN) */
    double ft_fractions[4];  /* attacker data fractions (0-terminated) */
    int64_t ft_epochs;       /* 0 = skip the fine-tuning phase */
    int no_attacks;          /* 1 = encryption only: no pruning, adaptive or fine-tuning phase */
    int64_t threads;
    int precision;           /* eip_nn_precision (BF16 refused without AVX-512 bf16) */
    uint64_t seed;
} eip_exp_advparams_config;

eip_exp_advparams_config eip_exp_advparams_config_default(void);

/* Runs encryption, fine-tuning (vs from scratch), pruning and the adaptive
 * attack for every model; writes encryption.*, finetune.*, prune.*,
 * adaptive.* (md, csv, png) and summary.md into out.dir. */
eip_status eip_exp_advparams_run(const eip_exp_advparams_config *cfg, eip_error *err);


/* ================================================ EncryIP experiments ===
 * (app/experiment/encryip_*.c, docs/RESULTS.md "EncryIP"): paper section 5.1
 * Table 1 and Figure 4, section 5.2 cost.  Everything runs in-process. */

#include "encryip/data.h"
#include "encryip/nn.h"

#define EIP_EXP_ENCRYIP_MAX_MODELS 4
#define EIP_EXP_ENCRYIP_MAX_DATASETS 4
#define EIP_EXP_ENCRYIP_NAME 32

/* The three methods of one grid cell. */
typedef enum eip_exp_encryip_method {
    EIP_EXP_ENCRYIP_ORIGINAL = 0,  /* hard labels, K = z */
    EIP_EXP_ENCRYIP_PAPER = 1,     /* EncryIP, paper group Z_q^* (q = 11 for 10 classes) */
    EIP_EXP_ENCRYIP_RISTRETTO = 2, /* EncryIP, ristretto255 + codebook */
    EIP_EXP_ENCRYIP_METHODS = 3
} eip_exp_encryip_method;

const char *eip_exp_encryip_method_name(int method); /* "original", "paper", "ristretto255" */

/* How one model of the grid is trained: every method of its cells (the
 * original and both EncryIP variants) uses the same recipe. */
typedef struct eip_exp_encryip_recipe {
    double width;        /* channel width multiplier */
    int optim;           /* EIP_TRAIN_OPTIM_SGD (momentum 0.9, Nesterov) or _ADAMW */
    int64_t epochs;
    double lr, wd;       /* peak lr (warm-up + cosine); SGD: coupled, AdamW: decoupled decay */
    int64_t verif_reps;  /* replicas per verification instance (0 = protect's automatic count) */
} eip_exp_encryip_recipe;

/* The default recipe of a zoo model: SGD lr 0.05 wd 5e-4 for 3 epochs,
 * except AlexNet (no batch norm), which does not learn in a few SGD epochs
 * at these scales, nor memorises the verification images with protect's
 * automatic 150 presentations (docs/RESULTS.md): AdamW lr 3e-3 wd 0.01 for
 * 30 epochs with 40 replicas per verification instance (its epochs are ~30x
 * cheaper than ResNet-18's here). */
eip_exp_encryip_recipe eip_exp_encryip_recipe_default(const char *model);

typedef struct eip_exp_encryip_config {
    int n_models;
    char models[EIP_EXP_ENCRYIP_MAX_MODELS][EIP_EXP_ENCRYIP_NAME];
    eip_exp_encryip_recipe recipes[EIP_EXP_ENCRYIP_MAX_MODELS]; /* same index as models */
    int n_datasets;
    char datasets[EIP_EXP_ENCRYIP_MAX_DATASETS][EIP_EXP_ENCRYIP_NAME];
    int64_t repeats;     /* R */
    int64_t batch;
    int64_t limit;       /* N training images, seeded random choice (0 = all) */
    int64_t test_limit;  /* N test images (seeded random choice) for the final figures (0 = all) */
    int64_t threads;     /* oneDNN threads (0 = all cores) */
    int precision;       /* eip_nn_precision: BF16 is refused on a CPU without AVX-512 bf16 */
    int64_t licensees;   /* P */
    int64_t trials;      /* verification trials per run */
    int64_t wrong_keys;  /* incorrect keys per run, each from its own Gen */
    int64_t eval_limit;  /* per-epoch curve on N random test images */
    int64_t verif_count; /* 0 = protect's default (24 Fakes / 16 per licensee) */
    uint64_t seed;       /* repeat r uses seed + r (init, shuffling, noise images) */
    int groups;          /* bit 0: paper group, bit 1: ristretto255 */
    eip_exp_output out;
    const char *merged_from; /* eip_exp_encryip_merge: the source directories (else NULL) */
} eip_exp_encryip_config;

/* Defaults of `encryip experiment table1` (docs/RESULTS.md "EncryIP"). */
void eip_exp_encryip_config_default(eip_exp_encryip_config *c);

/* One method's measurements in one (model, dataset, repeat) cell; -1 =
 * not measured. */
typedef struct eip_exp_encryip_run {
    char model[EIP_EXP_ENCRYIP_NAME], dataset[EIP_EXP_ENCRYIP_NAME];
    double width;
    int64_t repeat;
    uint64_t seed;
    int method;
    int done;            /* 1 when measured */
    int64_t epochs, train_n, test_n, k, verif_n, verif_reps;
    double train_s;      /* sum of epoch times (training only, no evaluation) */
    double total_s;      /* whole run incl. keys, encryption, evaluation */
    double acc;          /* original: test accuracy; EncryIP: Alg. 2 + eq. 4 with a correct key, ML */
    double acc_argmax;   /* EncryIP: correct key, arg-max decoding (eq. 3) */
    double own_ml;       /* EncryIP: label of the ML slot in the owner's codebook */
    double verif_slot;   /* EncryIP: test outputs decoded to a verification codeword */
    double wrong_ml, wrong_argmax; /* incorrect keys: mean accuracy over the keys */
    double wrong_min, wrong_max;   /* ML, over the keys */
    double wrong_nal;    /* incorrect keys: fraction of decryptions that are no label (ML) */
    int64_t wrong_keys;  /* incorrect keys tried */
    int64_t wrong_equiv; /* incorrect keys decrypting >= 90% as well as the correct key */
    double verif_ml, verif_argmax; /* trials naming the leaking licensee / trials */
    double false_named;  /* wrong-key deployments that named some licensee / trials */
    double memorised;    /* verification instances decoded to their own ciphertext (ML) */
    double *curve;       /* [epochs] per-epoch test accuracy (eval_limit random test images) */
} eip_exp_encryip_run;

void eip_exp_encryip_run_free(eip_exp_encryip_run *r);

/* Trains and measures one cell: out[ORIGINAL] always, out[PAPER] /
 * out[RISTRETTO] when cfg->groups asks (the others stay done = 0).  Same
 * seed, architecture and recipe for all; t_start (or 0)
 * is the grid's start time for the elapsed-time print. */
eip_status eip_exp_encryip_run_cell(const eip_exp_encryip_config *cfg, eip_nn_ctx *nn,
                                    const char *model, const eip_exp_encryip_recipe *recipe,
                                    const eip_data_set *train,
                                    const eip_data_set *test, const char *dataset, int64_t repeat,
                                    double t_start, eip_exp_encryip_run out[EIP_EXP_ENCRYIP_METHODS],
                                    eip_error *err);

/* The whole grid.  Writes, and rewrites after every cell (a stopped run
 * leaves its finished part), into cfg->out.dir: table1.csv (one row per
 * run), epochs.csv, table1_paper.md, table1_ristretto255.md, table1.md (both
 * groups side by side), curves_<model>_<dataset>.csv/.png (Figure 4). */
eip_status eip_exp_encryip_table1(const eip_exp_encryip_config *cfg, eip_error *err);

/* The tables and curves of `runs` [n] into cfg->out.dir. */
eip_status eip_exp_encryip_write(const eip_exp_encryip_config *cfg, const eip_exp_encryip_run *runs,
                                 int64_t n, double wall_s, eip_error *err);

/* One Table 1 from the table1.csv + epochs.csv of several table1 runs (a
 * grid split over processes): the runs are read back strictly (header,
 * field count, ranges; the same model/dataset/repeat/method twice is an
 * error), models and datasets in order of appearance, and written to
 * cfg->out.dir like a table1 run (tables, CSVs, curves).  cfg supplies
 * out (dir, plots, command, log); the rest is filled from the runs. */
eip_status eip_exp_encryip_merge(eip_exp_encryip_config *cfg, const char *const *dirs, int n_dirs,
                                 eip_error *err);

/* Re-renders curves_*.csv/.png from DIR/epochs.csv (written by table1). */
eip_status eip_exp_encryip_curves(const char *dir, int plots, FILE *log, eip_error *err);

/* Cost (section 5.2): training time of the original model and of EncryIP
 * with P = p_small and P = p_large licensees, both groups, one process. */
typedef struct eip_exp_encryip_cost_config {
    char model[EIP_EXP_ENCRYIP_NAME];
    double width;
    char dataset[EIP_EXP_ENCRYIP_NAME];
    int64_t limit, epochs, batch, threads;
    int precision;                    /* eip_nn_precision (BF16 refused without AVX-512 bf16) */
    int optim;                        /* EIP_TRAIN_OPTIM_*: the model's recipe by default */
    double lr, wd;
    uint64_t seed;
    int64_t p_small, p_large;         /* 3, 1000 */
    int64_t ristretto_per_large;      /* ristretto255 targeted instances per licensee at p_large */
    int64_t verif_reps;               /* 0 = automatic */
    int64_t ristretto_large_reps;     /* replicas for ristretto255 at p_large (0 = verif_reps) */
    int64_t rounds;                   /* round-robin repetitions; fastest kept (2) */
    eip_exp_output out;               /* plots unused */
} eip_exp_encryip_cost_config;

void eip_exp_encryip_cost_config_default(eip_exp_encryip_cost_config *c);
/* Writes cost.md and cost.csv into c->out.dir. */
eip_status eip_exp_encryip_cost(const eip_exp_encryip_cost_config *c, eip_error *err);

/* Combined protection (app/experiment/encryip_combined.c, docs/PROTECT.md
 * "Combined protection"): protect (Algorithm 1), AdvParams-encrypt the
 * protected weights, then on the test set: the stolen file (encrypted
 * weights decoded with the owner codebook and with every licensee key), the
 * licensee (weights unlocked in memory + sk_j: equal to the unencrypted
 * model, bit-exact hash) and leaked deployments (an unlocked deployment
 * with sk_j queried on the verification instances is traced to j; the
 * locked file deployed with sk_j: the trace as measured). */
typedef struct eip_exp_combined_config {
    char model[EIP_EXP_ENCRYIP_NAME];
    double width;
    char dataset[EIP_EXP_ENCRYIP_NAME];
    int64_t limit, test_limit;   /* seeded random subsets (0 = all) */
    int64_t epochs, batch, threads;
    int precision;               /* eip_nn_precision (BF16 refused without AVX-512 bf16) */
    double lr, wd;
    uint64_t seed;
    int groups;                  /* bit 0: paper group, bit 1: ristretto255 */
    int64_t licensees;           /* P */
    int64_t verif_count, verif_reps; /* 0 = protect's defaults */
    int64_t enc_images, budget;  /* AdvParams encryption set and parameter budget */
    int layers;                  /* EIP_ADVPARAMS_LAYERS_* */
    int64_t trials;              /* AdvParams candidates tried per step */
    eip_advparams_objective objective; /* AdvParams candidate ranking */
    int64_t crypto_seed;         /* >= 0: keys/codewords from a seeded stream (reproducible runs); -1: CSPRNG */
    eip_exp_output out;          /* plots unused */
} eip_exp_combined_config;

/* Defaults of `encryip experiment combined`: smallcnn width 1 on 6000
 * Fashion-MNIST images, 3 epochs, both groups, P = 3, 256 images, budget 25,
 * the AdvParams library defaults for trials and objective. */
void eip_exp_combined_config_default(eip_exp_combined_config *c);
/* Runs every group; writes combined.md, combined.csv (one row per
 * measurement) and combined_curve.csv (encryption-set accuracy after each
 * changed parameter) into c->out.dir.  A licensee accuracy or hash that
 * differs from the unencrypted model is an error (EIP_ERR_STATE). */
eip_status eip_exp_combined(const eip_exp_combined_config *c, eip_error *err);
/* Removal by consecutive fine-tuning (paper section 5.3, Figures 6 and 7;
 * app/experiment/encryip_removal*.c, docs/RESULTS.md "Figures 6/7"): the
 * protected model's training set split into `parts` disjoint parts, the
 * model fine-tuned on part 1, then 2, ... by each attacker; after every
 * round the decrypted test accuracy (the leaking licensee's key, ML
 * decoder) and the traces of deployments of the fine-tuned model. */
typedef enum eip_exp_removal_attacker {
    /* the paper's: Algorithm 1's targets of the parts (the owner's codeword
     * of each true label), no verification replicas */
    EIP_EXP_REMOVAL_PAPER = 0,
    /* a leaking licensee j: each part labelled by its own decrypted
     * deployment of the protected model (Algorithm 2 + Dec(sk_j)), targets
     * = the codeword its key reads as that label and the model uses most
     * (eip_protect_leaker_targets), no verification instances */
    EIP_EXP_REMOVAL_LEAKER = 1,
    EIP_EXP_REMOVAL_ATTACKERS = 2
} eip_exp_removal_attacker;

const char *eip_exp_removal_attacker_name(int a); /* "paper", "leaker" */

typedef struct eip_exp_removal_config {
    int n_models;
    char models[EIP_EXP_ENCRYIP_MAX_MODELS][EIP_EXP_ENCRYIP_NAME];
    eip_exp_encryip_recipe recipes[EIP_EXP_ENCRYIP_MAX_MODELS]; /* protect's recipe (Table 1's) */
    int n_datasets;
    char datasets[EIP_EXP_ENCRYIP_MAX_DATASETS][EIP_EXP_ENCRYIP_NAME];
    int groups;          /* bit 0: paper group, bit 1: ristretto255 */
    int attackers;       /* bit a: attacker a (EIP_EXP_REMOVAL_*) */
    int64_t limit;       /* protected model's training images = the parts' pool (0 = all) */
    int64_t test_limit;  /* test images (seeded random choice, 0 = all) */
    int64_t parts;       /* rounds: disjoint parts of the training set (5) */
    int64_t ft_epochs;   /* epochs per round (3) */
    double ft_lr_factor; /* fine-tuning peak lr = recipe lr x this (0.1); no warm-up, cosine */
    int64_t batch;
    int64_t licensees;   /* P */
    int64_t verif_count; /* 0 = protect's default (24 Fakes / 16 per licensee) */
    int64_t foreign_keys; /* keys of other key generations deployed per round (3) */
    int64_t threads;
    uint64_t seed;
    eip_exp_output out;
} eip_exp_removal_config;

/* Defaults of `encryip experiment removal`: resnet18 and alexnet at the
 * Table 1 recipe (width 0.25), fashion-mnist and mnist, both groups, both
 * attackers, 6000 training images in 5 parts of 1200, 2000 test images,
 * 3 epochs per round at 0.1 x the recipe's lr, P = 3. */
void eip_exp_removal_config_default(eip_exp_removal_config *c);

/* One measurement: a (model, dataset, group, attacker) after `round`
 * fine-tuning rounds (round 0 = the protected model, the same for both
 * attackers); -1 = not measured. */
typedef struct eip_exp_removal_point {
    char model[EIP_EXP_ENCRYIP_NAME], dataset[EIP_EXP_ENCRYIP_NAME];
    double width;
    int group;           /* EIP_EXP_ENCRYIP_PAPER or _RISTRETTO */
    int attacker;
    int64_t round;
    int64_t part_n;      /* images fine-tuned on in this round (0 in round 0) */
    int64_t dropped;     /* leaker: part images whose decryption was no label */
    double label_agree;  /* leaker: its labels = the true labels (fraction of part_n) */
    double ft_s;         /* fine-tuning seconds of this round */
    double acc_key;      /* Algorithm 2 + Dec(sk_leaker), ML decoder, test set */
    double acc_own;      /* owner codebook, ML slot's label */
    double verif_slot;   /* test outputs decoded to a verification codeword */
    double protect_acc;  /* round 0: eip_protect_run's test_acc_ml (else -1) */
    double memorised;    /* verification instances decoded (ML) to their own c̄_i */
    int64_t leaker;      /* licensee j who leaks (and attacks, for the leaker attacker) */
    int64_t leaker_named;   /* trace of j's deployment: licensee named (0 = nobody) */
    int64_t leaker_matched, leaker_total; /* its agreement on j's instances */
    int64_t traced;      /* licensees k whose own deployment is traced to k, of P */
    int64_t licensees;
    int64_t foreign_named, foreign; /* foreign-key deployments naming somebody, of `foreign` */
} eip_exp_removal_point;

/* Protects `model` on train (group: EIP_CRYPTO_GROUP_*) and runs every
 * attacker of cfg for cfg->parts rounds.  pts: receives a malloc'd array
 * of (1 + parts) rows per attacker (*n_pts).  t_start: for progress. */
eip_status eip_exp_removal_cell(const eip_exp_removal_config *cfg, eip_nn_ctx *nn, const char *model,
                                const eip_exp_encryip_recipe *recipe, const eip_data_set *train,
                                const eip_data_set *test, const char *dataset, int group,
                                eip_exp_removal_point **pts, int64_t *n_pts, eip_error *err);

/* removal.csv (one row per point), removal.md (one table per model x
 * dataset, the paper's reading beside it), and per model x dataset
 * removal_<model>_<dataset>_acc.png (Figure 6) and _verif.png (Figure 7). */
eip_status eip_exp_removal_write(const eip_exp_removal_config *cfg, const eip_exp_removal_point *pts,
                                 int64_t n, double wall_s, eip_error *err);

/* Reads DIR/removal.csv back (strictly: header, 24 fields, names and
 * ranges): *pts malloc'd [*n].  `experiment removal --merge` joins the
 * points of runs split over processes and renders them with
 * eip_exp_removal_write (the scale settings come from the caller's cfg). */
eip_status eip_exp_removal_read(const char *dir, eip_exp_removal_point **pts, int64_t *n, eip_error *err);

/* The whole grid (models x datasets x groups), outputs rewritten after each
 * cell. */
eip_status eip_exp_removal(const eip_exp_removal_config *cfg, eip_error *err);
/* Figure 5 (app/experiment/baseline_fig5.c, docs/RESULTS.md "Figure 5"):
 * training time of selling one model to three users — Original (one
 * training), EncryIP (one training, P = 3), PR and DeepIPR (one training
 * per user), EW (one training with the three users' trigger sets) — plus
 * each method's test accuracy and verification. */
typedef struct eip_exp_fig5_config {
    char model[EIP_EXP_ENCRYIP_NAME];  /* resnet18 or smallcnn (their layers are known) */
    double width;
    char dataset[EIP_EXP_ENCRYIP_NAME];
    int64_t limit, test_limit, epochs, batch, threads;
    double lr, wd;                     /* SGD Nesterov, warm-up + cosine */
    uint64_t seed;
    int group;                         /* EncryIP: EIP_CRYPTO_GROUP_* */
    int64_t users;                     /* 3 */
    int64_t verif_reps;                /* EncryIP replicas per verification instance (0 = automatic) */
    int64_t pr_bits;                   /* T */
    double pr_lambda;
    int64_t ew_triggers, ew_reps;      /* per user; replicas in the training set */
    int64_t pp_size;                   /* passport S */
    double pp_lambda, pp_gamma0;
    eip_exp_output out;
} eip_exp_fig5_config;

void eip_exp_fig5_config_default(eip_exp_fig5_config *c);
/* Writes fig5.md, fig5.csv, fig5_users.csv and fig5.png into c->out.dir. */
eip_status eip_exp_fig5(const eip_exp_fig5_config *c, eip_error *err);

/* ======================================== end of EncryIP experiments === */

#ifdef __cplusplus
}
#endif
#endif
