#!/bin/sh
# Reproduce yang/ietf/ from Debian packages only, and rewrite tools/yang/PROVENANCE.md.
#
# Sources (see PROVENANCE.md for why each revision):
#   - libyang2 2.1.30-2 source package, models/ and tests/modules/yang/ (ietf-netconf is
#     revision 2011-06-01: libyang itself adds the operation/type/select annotations)
#   - libyuma-base (installed), /usr/share/yuma/modules (RFC 5277 notifications, RFC 6022,
#     RFC 6243, RFC 6470, RFC 8341, RFC 8342, RFC 8526 modules)
#
# The source package is fetched with a private apt state under mktemp: the machine's own
# mirror list is reused, turned into deb-src, and the system's apt configuration is not
# touched. Needs root only if apt refuses to write its partial dirs otherwise.
#
# usage: tools/yang/fetch-ietf-modules.sh [--check]
#   --check  compare against the committed files instead of copying (exit 1 on difference)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dest="$repo/yang/ietf"
check=no
[ "${1:-}" = "--check" ] && check=yes

LIBYANG_VERSION=2.1.30-2
YUMA_DIR=/usr/share/yuma/modules

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

# --- libyang2 source package -------------------------------------------------
mkdir -p "$scratch/lists/partial" "$scratch/cache/archives/partial" "$scratch/sources.list.d" "$scratch/src"
found_src=no
for f in /etc/apt/sources.list.d/*.sources; do
	[ -e "$f" ] || continue
	# Binary-package stanzas only (a deb-src file someone added would be a duplicate);
	# deb822 format: keep the stanza, declare deb-src instead of deb.
	grep -Eq '^Types:(.* )?deb( |$)' "$f" || continue
	sed 's/^Types:.*/Types: deb-src/' "$f" > "$scratch/sources.list.d/$(basename "$f")"
	found_src=yes
done
if [ -e /etc/apt/sources.list ]; then
	sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list > "$scratch/sources.list.d/main.list"
	[ -s "$scratch/sources.list.d/main.list" ] && found_src=yes
fi
[ "$found_src" = yes ] || { echo "no apt sources configured" >&2; exit 1; }

apt_opts="-o Dir::State::Lists=$scratch/lists -o Dir::Cache=$scratch/cache \
 -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$scratch/sources.list.d \
 -o APT::Sandbox::User=root -qq"
# shellcheck disable=SC2086
apt-get $apt_opts update >/dev/null
# shellcheck disable=SC2086
(cd "$scratch/src" && apt-get $apt_opts source --download-only "libyang2=$LIBYANG_VERSION" >/dev/null)
orig=$(ls "$scratch/src"/libyang2_*.orig.tar.* | head -n 1)
mkdir "$scratch/libyang"
tar -xf "$orig" -C "$scratch/libyang" --strip-components=1

# --- the copy list: destination | package | path inside the package -------------
# Source-package paths are relative to the upstream tree (Debian applies no patches to
# them: the debian/ tarball of 2.1.30-2 has no patches/ directory).
ly="libyang2 $LIBYANG_VERSION (source)"
yuma="libyuma-base $(dpkg-query -W -f='${Version}' libyuma-base)"
cat > "$scratch/list" <<LIST
ietf-inet-types@2013-07-15.yang|$ly|models/ietf-inet-types@2013-07-15.yang
ietf-yang-types@2013-07-15.yang|$ly|models/ietf-yang-types@2013-07-15.yang
ietf-yang-metadata@2016-08-05.yang|$ly|models/ietf-yang-metadata@2016-08-05.yang
ietf-datastores@2018-02-14.yang|$ly|models/ietf-datastores@2018-02-14.yang
ietf-yang-library@2019-01-04.yang|$ly|models/ietf-yang-library@2019-01-04.yang
ietf-netconf@2011-06-01.yang|$ly|tests/modules/yang/ietf-netconf@2011-06-01.yang
ietf-netconf-with-defaults@2011-06-01.yang|$ly|tests/modules/yang/ietf-netconf-with-defaults@2011-06-01.yang
ietf-netconf-acm@2018-02-14.yang|$ly|tests/modules/yang/ietf-netconf-acm@2018-02-14.yang
ietf-origin@2018-02-14.yang|$ly|tests/modules/yang/ietf-origin@2018-02-14.yang
ietf-netconf-nmda@2019-01-07.yang|$ly|tests/modules/yang/ietf-netconf-nmda@2019-01-07.yang
notifications@2008-07-14.yang|$ly|tests/modules/yang/notifications@2008-07-14.yang
ietf-netconf-monitoring@2010-10-04.yang|$yuma|$YUMA_DIR/ietf/ietf-netconf-monitoring@2010-10-04.yang
ietf-netconf-notifications@2012-02-06.yang|$yuma|$YUMA_DIR/ietf/ietf-netconf-notifications@2012-02-06.yang
nc-notifications@2008-07-14.yang|$yuma|$YUMA_DIR/ietf-derived/nc-notifications.yang
ietf-interfaces@2018-02-20.yang|$yuma|$(dirname "$YUMA_DIR")/nmda-modules/ietf/ietf-interfaces@2018-02-20.yang
ietf-ip@2018-02-22.yang|$yuma|$(dirname "$YUMA_DIR")/nmda-modules/ietf/ietf-ip@2018-02-22.yang
LIST

# Not in Debian: file | RFC | sha256 of the module as the RFC publishes it (Netopeer2's
# modules/ keeps IETF modules unchanged: its ietf-datastores, ietf-netconf-acm and
# ietf-netconf-nmda are byte-identical to libyang's above).
cat > "$scratch/pinned" <<PINNED
ietf-subscribed-notifications@2019-09-09.yang|RFC 8639|22b32d6411d42a2c9cb88731ee91564bd317b81a3eeb928ee7a7cda1f7a8e85f
ietf-yang-push@2019-09-09.yang|RFC 8641|c6d91f834c1f24175999fda6081c376a290c8afc2ffb439bc1d6d17f17105e74
ietf-yang-patch@2017-02-22.yang|RFC 8072|69cb8502718e0960d068bc2a5ea03daf8b5579b4a08b80146f4c11b875e465e9
ietf-restconf@2017-01-26.yang|RFC 8040|e757021148926cc9b39b593598a2bd8f212423c68ea1cbb1ed1b65532d091297
ietf-network-instance@2019-01-21.yang|RFC 8529|347ae9aa1c85c8d78076c60e9ddaa8b823053cb49d14aa1dca502e76f86ae678
PINNED

status=0
table="$scratch/table"
: > "$table"
[ "$check" = yes ] || mkdir -p "$dest"
while IFS='|' read -r name pkg path; do
	case "$pkg" in
	libyang2*) src="$scratch/libyang/$path" ;;
	*) src="$path" ;;
	esac
	[ -f "$src" ] || { echo "missing: $pkg $path" >&2; exit 1; }
	sum=$(sha256sum "$src" | cut -d' ' -f1)
	if [ "$check" = yes ]; then
		if ! cmp -s "$src" "$dest/$name"; then
			echo "differs: yang/ietf/$name" >&2
			status=1
		fi
	else
		cp "$src" "$dest/$name"
	fi
	printf '| `%s` | %s | `%s` | `%s` |\n' "$name" "$pkg" "$path" "$sum" >> "$table"
done < "$scratch/list"

while IFS='|' read -r name rfc pin; do
	src="$dest/$name"
	if [ "$check" = no ] && [ -n "${NETOPEER2_MODULES:-}" ]; then
		src="$NETOPEER2_MODULES/$name"
	fi
	[ -f "$src" ] || { echo "missing: $src" >&2; exit 1; }
	sum=$(sha256sum "$src" | cut -d' ' -f1)
	if [ "$sum" != "$pin" ]; then
		echo "differs from the published $rfc module: $name" >&2
		status=1
	elif [ "$src" != "$dest/$name" ]; then
		cp "$src" "$dest/$name"
	fi
	printf '| `%s` | %s as published, from Netopeer2 | `modules/%s` | `%s` |\n' "$name" "$rfc" "$name" "$sum" >> "$table"
done < "$scratch/pinned"

[ "$check" = yes ] && exit "$status"
[ "$status" = 0 ] || exit 1

{
	cat "$here/PROVENANCE.head.md"
	echo
	echo '| file (yang/ietf/) | source | path inside the source | sha256 |'
	echo '|---|---|---|---|'
	cat "$table"
} > "$here/PROVENANCE.md"
echo "copied $(($(wc -l < "$scratch/list") + $(wc -l < "$scratch/pinned"))) modules into yang/ietf; wrote tools/yang/PROVENANCE.md"
