#!/bin/sh
# SPDX-License-Identifier: MIT
# The unit and CLI layers built for the Raspberry Pi's architectures with
# Debian's cross toolchains and multiarch libraries, run under qemu-user:
#   CROSS_LIBS="libmount-dev ..." sh tests/cross/run.sh arm64 armhf
# Each architecture builds in build-ARCH against a sysroot of its libraries
# (tests/cross/sysroot.sh) and prints the layers' own closing lines,
# labelled; a missing toolchain or emulator is a counted skip.  The tests
# build without -Wdangling-pointer: gcc 12 for arm64 and armhf takes
# cmocka's pointer casts of open_memstream buffers for dangling locals.
set -u
st=0 skipped=0
CROSS_LIBS=${CROSS_LIBS:-libmount-dev libblkid-dev libsystemd-dev libmd-dev libjson-c-dev libcmocka-dev}
# The layers to run: unit, cli or both (make test-cross CROSS_LAYERS=unit).
CROSS_LAYERS=${CROSS_LAYERS:-unit cli}
has_layer() { case " $CROSS_LAYERS " in *" $1 "*) return 0 ;; esac; return 1; }
for arch in "$@"; do
        case $arch in
        arm64) triplet=aarch64-linux-gnu emu=qemu-aarch64 ld=ld-linux-aarch64.so.1 ;;
        armhf) triplet=arm-linux-gnueabihf emu=qemu-arm ld=ld-linux-armhf.so.3 ;;
        *) echo "cross: unknown architecture $arch" >&2; st=1; continue ;;
        esac
        missing=
        command -v "$triplet-gcc" > /dev/null || missing="$missing $triplet-gcc"
        command -v "$emu" > /dev/null || missing="$missing $emu"
        if [ -n "$missing" ]; then
                echo "cross: $arch skipped: missing$missing (make test-deps installs them)"
                skipped=$((skipped + 1))
                continue
        fi
        sr=$PWD/build-cross/sysroot-$arch
        if ! sh tests/cross/sysroot.sh "$arch" "$sr" $CROSS_LIBS; then
                echo "cross: $arch: no sysroot of its libraries"
                st=1
                continue
        fi
        # The binaries name the toolchain's loader and libraries by their host paths
        # (--dynamic-linker, an rpath their libraries use too): qemu's -L would map every absolute path that
        # exists under its prefix, "/" itself included, and a test of the live
        # root would read /usr/TRIPLET instead.
        libs="$sr/lib/$triplet:$sr/usr/lib/$triplet"
        rpath="/usr/$triplet/lib:$libs"
        b=build-$arch
        ldflags="-Wl,-rpath-link,$libs -Wl,--disable-new-dtags -Wl,-rpath,$rpath -Wl,--dynamic-linker=/usr/$triplet/lib/$ld"
        # make rebuilds on changed sources, not on changed flags: a new Makefile or
        # new link flags start the build over.
        flags="$ldflags $(cksum < Makefile)"
        if [ "$(cat "$b/flags" 2>/dev/null)" != "$flags" ]; then
                rm -rf "$b"
                mkdir -p "$b" && printf '%s\n' "$flags" > "$b/flags"
        fi
        echo "cross: building for $arch in $b"
        if ! PKG_CONFIG_SYSROOT_DIR=$sr PKG_CONFIG_LIBDIR="$sr/usr/lib/$triplet/pkgconfig:$sr/usr/share/pkgconfig" \
                make -s -j2 BUILD="$b" CC="$triplet-gcc" LDFLAGS="$ldflags" \
                TEST_CFLAGS=-Wno-dangling-pointer \
                "$b/hostfit" unit-bins > "$b.log" 2>&1; then
                tail -n 30 "$b.log"
                echo "cross: $arch: the build failed"
                st=1
                continue
        fi
        file "$b/hostfit" 2>/dev/null | sed 's/^/cross: /'
        run=$emu
        if has_layer unit; then
                # The real files of dphys-swapfile, zram-tools and zram-generator: the same for every architecture.
                sh tests/unit/pkgroots.sh build/pkgroots
                HOSTFIT_PKGROOTS=build/pkgroots HOSTFIT_EMU=$run sh tests/run-unit.sh $(find "$b/tests" -maxdepth 1 -name "test-*" -type f ! -name "*.d" | sort) > "$b/unit.log" 2>&1 || st=1
                grep -E '^\[  FAILED  \]|^\[  SKIPPED \] test|^skip: |^failing' "$b/unit.log"
                sed -n "s/^unit: /unit-$arch: /p" "$b/unit.log"
        fi
        has_layer cli || continue
        # Named hostfit, alone in its directory: the fish completion test runs "hostfit" from PATH.
        mkdir -p "$b/emu"
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$run" "$PWD/$b/hostfit" > "$b/emu/hostfit"
        chmod +x "$b/emu/hostfit"
        HOSTFIT=$b/emu/hostfit sh tests/cli/run.sh > "$b/cli.log" 2>&1 || st=1
        grep -E '^FAIL' -A3 "$b/cli.log"
        sed -n "s/^cli: /cli-$arch: /p" "$b/cli.log"
done
echo "cross: $skipped architecture(s) skipped"
exit $st
