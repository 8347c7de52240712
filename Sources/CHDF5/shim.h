#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
#include <hdf5.h>

/* HDF5 exposes its predefined types, property lists and flags as macros that expand to
   global variables or to expressions, which Swift cannot import. These getters expose them. */
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_p_attribute_create(void) { return H5P_ATTRIBUTE_CREATE; }

static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void) { return H5F_ACC_EXCL; }

static inline hid_t chdf5_t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t chdf5_t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t chdf5_t_c_s1(void) { return H5T_C_S1; }

static inline hsize_t chdf5_s_unlimited(void) { return H5S_UNLIMITED; }
#endif
