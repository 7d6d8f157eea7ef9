#!/usr/bin/env bash
# cmake --install into a temporary prefix, then: the .so exports exactly the
# functions declared in include/encryip/*.h (build/encryip.exports), a C
# program builds against the installed headers and library through
# pkg-config and runs, the installed `encryip` runs.
# usage: install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"
tmp="$(mktemp -d /tmp/encryip-install.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
libdir="$(pkg-config --variable=libdir encryip)"
[[ "$(cd "$libdir" && pwd)" == "$(cd "$tmp/prefix/lib" && pwd)" ]] || { echo "FAIL: libdir $libdir"; exit 1; }
so="$libdir/libencryip.so"
readelf -d "$so" | grep -q "SONAME.*libencryip.so.$(cut -d. -f1 <<<"$(pkg-config --modversion encryip)")" \
    || { echo "FAIL: SONAME"; readelf -d "$so" | grep SONAME; exit 1; }
# every defined dynamic symbol but the version node (type A)
nm -D --defined-only "$so" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort > "$tmp/got"
sort "$build/encryip.exports" > "$tmp/want"
if ! diff "$tmp/want" "$tmp/got" > "$tmp/diff"; then
    echo "FAIL: exported symbols differ from the header declarations (< header only, > .so only):"
    head -40 "$tmp/diff"; exit 1
fi
echo "exports: $(wc -l < "$tmp/got") functions, exactly the header declarations"
for h in "$src"/include/encryip/*.h; do
    [[ -f "$tmp/prefix/include/encryip/$(basename "$h")" ]] || { echo "FAIL: $h not installed"; exit 1; }
done
mkdir "$tmp/work"
cc -std=c11 -Wall -Wextra -Wpedantic -Werror "$src/tests/install/demo.c" -o "$tmp/demo" \
    $(pkg-config --cflags --libs encryip)
libdir="$(readlink -f "$libdir")"
linked="$(LD_LIBRARY_PATH="$libdir" ldd "$tmp/demo" | awk '/libencryip.so/ {print $3}')"
[[ "$(readlink -f "$linked")" == "$libdir/libencryip.so."* ]] || { echo "FAIL: demo linked to '$linked', not the installed .so"; exit 1; }
LD_LIBRARY_PATH="$libdir" "$tmp/demo" "$tmp/work"
# the installed Python package finds the installed library by itself
got="$(cd /tmp && env -u ENCRYIP_LIB PYTHONPATH="$tmp/prefix/lib/python3/dist-packages" \
    /usr/bin/python3 -c 'import encryip; print(encryip.library_path)')"
[[ "$(readlink -f "$got")" == "$libdir/libencryip.so"* ]] || { echo "FAIL: installed encryip loaded '$got'"; exit 1; }
"$tmp/prefix/bin/encryip" --help >/dev/null || { echo "FAIL: installed encryip --help"; exit 1; }
echo "install: OK"
