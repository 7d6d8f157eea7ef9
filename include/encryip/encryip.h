/* encryip — umbrella header: every public module of libencryip.
 *
 *   error.h      status codes and error reports
 *   util.h       file reads, atomic writes, gzip, paths, clock, strict parsers
 *   crypto.h     CS_lite (Gen, Enc, Dec, Fake, SampDist), Φ, codebooks, key files
 *   data.h       datasets (Fashion-MNIST, MNIST, CIFAR, GTSRB), loaders
 *   ckpt.h       safetensors checkpoints
 *   nn.h         training engine on oneDNN, model zoo
 *   train.h      losses, optimisers, schedules, training loop
 *   attack.h     pruning, fine-tuning and adaptive attacks on weights
 *   keyring.h    SQLite licensee registry
 *   protect.h    EncryIP end to end (Algorithms 1 and 2, eq. 5 tracing)
 *   advparams.h  AdvParams parameter encryption */
#ifndef ENCRYIP_ENCRYIP_H
#define ENCRYIP_ENCRYIP_H

#include "encryip/error.h"
#include "encryip/util.h"
#include "encryip/crypto.h"
#include "encryip/data.h"
#include "encryip/ckpt.h"
#include "encryip/nn.h"
#include "encryip/train.h"
#include "encryip/attack.h"
#include "encryip/keyring.h"
#include "encryip/protect.h"
#include "encryip/advparams.h"
#include "encryip/baseline.h"

#endif
