/* Loading a dataset by its name (used by the CLI and the experiments). */
#include <string.h>

#include "data/data_internal.h"

eip_status eip_data_load_by_name(const char *dataset, const char *dir, eip_data_set *train,
                                 eip_data_set *test, eip_error *err)
{
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    if (!strcmp(dataset, "fashion-mnist"))
        return eip_data_fashion_mnist_load(dir, train, test, err);
    if (!strcmp(dataset, "mnist"))
        return eip_data_mnist_load(dir, train, test, err);
    int c10 = !strcmp(dataset, "cifar10"), c100 = !strcmp(dataset, "cifar100"),
        gts = !strcmp(dataset, "gtsrb");
    if (!c10 && !c100 && !gts)
        return eip_error_set(err, EIP_ERR_ARG,
                             "dataset '%s': unknown (fashion-mnist, mnist, cifar10, cifar100, gtsrb)", dataset);
    if (!dir)
        return eip_error_set(err, EIP_ERR_ARG, "dataset '%s': a data directory is required", dataset);
    if (!gts)
        return eip_data_cifar_load(dir, c10 ? EIP_DATA_CIFAR10 : EIP_DATA_CIFAR100_FINE, train, test, err);
    eip_status st = EIP_OK;
    if (train)
        st = eip_data_gtsrb_train_load(dir, 32, train, err);
    if (st == EIP_OK && test)
        st = eip_data_gtsrb_test_load(dir, 32, test, err);
    if (st != EIP_OK)
        eip_data_set_free(train);
    return st;
}
