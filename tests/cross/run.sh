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
CROSS_LIBS=${CROSS_LIBS:-libmount-dev libblkid-dev libsystemd-dev libcmocka-dev}
for arch in "$@"; do
        case $arch in
        arm64) triplet=aarch64-linux-gnu emu=qemu-aarch64 ;;
        armhf) triplet=arm-linux-gnueabihf emu=qemu-arm ;;
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
        libs="$sr/lib/$triplet:$sr/usr/lib/$triplet"
        b=build-$arch
        echo "cross: building for $arch in $b"
        if ! PKG_CONFIG_SYSROOT_DIR=$sr PKG_CONFIG_LIBDIR="$sr/usr/lib/$triplet/pkgconfig:$sr/usr/share/pkgconfig" \
                make -s BUILD="$b" CC="$triplet-gcc" LDFLAGS="-Wl,-rpath-link,$libs" \
                TEST_CFLAGS=-Wno-dangling-pointer \
                "$b/hostfit" unit-bins > "$b.log" 2>&1; then
                tail -n 30 "$b.log"
                echo "cross: $arch: the build failed"
                st=1
                continue
        fi
        file "$b/hostfit" 2>/dev/null | sed 's/^/cross: /'
        run="$emu -L /usr/$triplet -E LD_LIBRARY_PATH=$libs"
        HOSTFIT_EMU=$run sh tests/run-unit.sh $(find "$b/tests" -maxdepth 1 -name "test-*" -type f ! -name "*.d" | sort) > "$b/unit.log" 2>&1 || st=1
        grep -E '^\[  FAILED  \]|^failing' "$b/unit.log"
        sed -n "s/^unit: /unit-$arch: /p" "$b/unit.log"
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$run" "$PWD/$b/hostfit" > "$b/hostfit-emu"
        chmod +x "$b/hostfit-emu"
        HOSTFIT=$b/hostfit-emu sh tests/cli/run.sh > "$b/cli.log" 2>&1 || st=1
        grep -E '^FAIL' -A3 "$b/cli.log"
        sed -n "s/^cli: /cli-$arch: /p" "$b/cli.log"
done
echo "cross: $skipped architecture(s) skipped"
exit $st
