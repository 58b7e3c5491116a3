/* Instruction-set dispatch, in one place. Loops written in plain C get one compiled copy per
 * instruction set through BP_TARGET_CLONES (the loader picks one at start-up); hand-written
 * intrinsics are chosen at run time through bp_cpu_isa(). On anything but x86-64 with GCC or
 * Clang (aarch64, MSVC) both reduce to the portable C code, so every build compiles and gives the
 * same bytes. Never -march=native by default: wheels must run on every x86-64. */
#ifndef BOOSTPACK_CPU_H
#define BOOSTPACK_CPU_H

/* Instruction sets a kernel may be asked to use, in increasing order; BP_ISA_BEST means the best
 * this CPU has. Asking for more than the CPU has gives the best it has. */
enum { BP_ISA_PORTABLE = 0, BP_ISA_AVX2 = 1, BP_ISA_AVX512 = 2, BP_ISA_BEST = 3 };

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BP_X86_64 1
#endif

/* target_clones needs ifunc support: ELF (glibc) targets only. */
#if defined(BP_X86_64) && defined(__ELF__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define BP_TARGET_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#endif
#endif
#ifndef BP_TARGET_CLONES
#define BP_TARGET_CLONES
#endif

/* The best instruction set at most `wanted` that this CPU runs: AVX512 means AVX-512 F and BW,
 * AVX2 means AVX2 with BMI1 and POPCNT. */
static inline int bp_cpu_isa(int wanted) {
    int have = BP_ISA_PORTABLE;
#ifdef BP_X86_64
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
        __builtin_cpu_supports("popcnt")) {
        have = BP_ISA_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
            have = BP_ISA_AVX512;
        }
    }
#endif
    return wanted < have ? wanted : have;
}

#endif
