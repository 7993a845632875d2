# Sourced by the scripts that run Go tools of the field (grpc-tools.sh, contracts.sh): builds pinned
# versions from the Go module proxy into $(go env GOPATH)/backend-event/bin, once per version.
# Needs: the caller's working directory at the repository root; sets $bin.

command -v go >/dev/null 2>&1 || { echo "::: Go tools: the go command is missing (Go builds the pinned tools from the module proxy)"; exit 1; }
bin="$(go env GOPATH)/backend-event/bin"
mkdir -p "$bin"

# build_tool NAME PACKAGE MODULE VERSION: go install unless $bin/NAME was built from MODULE@VERSION.
build_tool() {
  local name=$1 package=$2 module=$3 version=$4
  if [ -x "$bin/$name" ] && go version -m "$bin/$name" 2>/dev/null | grep -qE "^\s+mod\s+$module\s+$version(\s|$)"; then return; fi
  echo "::: Go tools: building $module@$version (go install from the module proxy)"
  # GOTOOLCHAIN=local: build with the Go that is installed, never fetch another toolchain.
  GOBIN="$bin" GOTOOLCHAIN=local go install "$package@$version"
}
