#!/usr/bin/env bash
# Creates the two git-ignored venvs Scripts/check/openai_client_check.py runs with: .venv-check (the
# official openai client of today, plus websocket-client for the browser check) and .venv-openai028
# (openai==0.28, the client seed 002's example was written for). Idempotent; PyPI through pip.
# Usage: Scripts/setup/openai_check_venv.sh        → prints the client versions.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then        # Debian splits venv out of python3
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "installing python3-venv"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-venv
fi
make_venv() {   # make_venv DIR PACKAGE...
  local dir=$1; shift
  local want="$*"
  if [ -f "$dir/READY" ] && [ "$(cat "$dir/READY")" = "$want" ]; then return; fi
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check --no-compile "$@"
  echo "$want" > "$dir/READY"
}
# Both at once: each pip spends most of its time waiting on the network.
make_venv .venv-check "openai==3.57.0" "websocket-client==1.9.2" & first=$!
make_venv .venv-openai028 "openai==0.28.0" & second=$!
wait $first; wait $second
echo "openai $(.venv-check/bin/python -c 'import openai; print(openai.__version__)') in .venv-check;" \
     "openai $(.venv-openai028/bin/python -c 'import openai; print(openai.version.VERSION)') in .venv-openai028"
