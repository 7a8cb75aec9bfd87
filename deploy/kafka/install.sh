#!/usr/bin/env bash
# Install the Apache Kafka broker jars (see pom.xml) from Maven Central into deploy/kafka/lib.
#
# Idempotent: skips when lib/ was filled from the current pom.xml (stamp = the pom's sha256).
# Downloads are cached in ~/.m2 (override with MAVEN_OPTS=-Dmaven.repo.local=...).
# Needs only `java` (17+) and `mvn` on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/lib"
stamp="$lib/.installed-from"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

for tool in java mvn; do
    command -v "$tool" >/dev/null || { echo "install.sh: '$tool' is not on PATH" >&2; exit 1; }
done
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if (( ${java_major%%.*} < 17 )); then
    echo "install.sh: Kafka 4 needs Java 17 or newer, found $java_major" >&2
    exit 1
fi

# One installer at a time (parallel `make test` runs share this directory).
mkdir -p "$here/target"
exec 9>"$here/target/install.lock"
flock 9
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

staging="$(mktemp -d "$here/target/lib.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
echo "install.sh: resolving the Kafka broker from Maven Central into $lib" >&2
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$staging" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'  >&2
echo "$want" >"$staging/.installed-from"
rm -rf "$lib"
mv "$staging" "$lib"
trap - EXIT
