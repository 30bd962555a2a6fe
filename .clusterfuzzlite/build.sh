#!/bin/bash -eu
# ClusterFuzzLite entry point: the OSS-Fuzz-compatible build of fuzz/build.sh.
exec "$SRC/mmfuzz/fuzz/build.sh"
