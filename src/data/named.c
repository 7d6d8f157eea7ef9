/* Loading a dataset by its name (used by the CLI and the experiments). */
#include <string.h>

#include "data/data_internal.h"

eip_status eip_data_name_check(const char *dataset, const char *dir, eip_error *err)
{
    /* Your own data (folder.c, npy.c): the path is checked when loading. */
    if (dataset && (!strncmp(dataset, "folder:", 7) || !strncmp(dataset, "npy:", 4))) {
        if (!dataset[dataset[0] == 'f' ? 7 : 4])
            return eip_error_set(err, EIP_ERR_ARG, "dataset '%s': give a path after the colon", dataset);
        return EIP_OK;
    }
    static const struct {
        const char *name;
        int needs_dir; /* no installed default location */
    } known[] = {{"fashion-mnist", 0}, {"mnist", 0}, {"cifar10", 1}, {"cifar100", 1}, {"gtsrb", 1}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (dataset && !strcmp(dataset, known[i].name)) {
            if (known[i].needs_dir && !dir)
                return eip_error_set(err, EIP_ERR_ARG, "dataset '%s': a data directory is required", dataset);
            return EIP_OK;
        }
    return eip_error_set(err, EIP_ERR_ARG, "dataset '%s': unknown (fashion-mnist, mnist, cifar10, cifar100, gtsrb, "
                         "folder:DIR, npy:PREFIX)",
                         dataset ? dataset : "(none)");
}

eip_status eip_data_load_by_name(const char *dataset, const char *dir, eip_data_set *train,
                                 eip_data_set *test, eip_error *err)
{
    eip_status st = eip_data_name_check(dataset, dir, err);
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    if (st != EIP_OK)
        return st;
    if (!strncmp(dataset, "folder:", 7))
        return eip_data_folder_load(dataset + 7, train, test, err);
    if (!strncmp(dataset, "npy:", 4))
        return eip_data_npy_load(dataset + 4, train, test, err);
    if (!strcmp(dataset, "fashion-mnist"))
        return eip_data_fashion_mnist_load(dir, train, test, err);
    if (!strcmp(dataset, "mnist"))
        return eip_data_mnist_load(dir, train, test, err);
    const int c10 = !strcmp(dataset, "cifar10"), gts = !strcmp(dataset, "gtsrb");
    if (!gts)
        return eip_data_cifar_load(dir, c10 ? EIP_DATA_CIFAR10 : EIP_DATA_CIFAR100_FINE, train, test, err);
    if (train)
        st = eip_data_gtsrb_train_load(dir, 32, train, err);
    if (st == EIP_OK && test)
        st = eip_data_gtsrb_test_load(dir, 32, test, err);
    if (st != EIP_OK)
        eip_data_set_free(train);
    return st;
}
