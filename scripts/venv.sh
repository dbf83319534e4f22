# shellcheck shell=bash
# Sourced by scripts/start and scripts/test: the virtualenv step they share.

# Creates .venv (or repairs one whose interpreter is gone) and installs the given requirements
# files, unless a stamp shows these exact files were already installed with this interpreter:
# a second run then skips pip entirely.
ensure_venv() {
  local python wanted stamp
  if ! .venv/bin/python -c "" 2>/dev/null; then
    python=$(command -v python3.11 || command -v python3) || {
      echo "${0##*/}: python3.11 (or python3) is needed to create .venv" >&2
      exit 1
    }
    echo "Creating .venv with $python ($("$python" --version 2>&1))"
    "$python" -m venv --clear .venv
  fi
  if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "warning: .venv runs $(.venv/bin/python --version 2>&1); the project targets 3.11" >&2
  fi
  stamp=".venv/.installed-$(basename "$1" .txt)"
  wanted=$({ .venv/bin/python --version 2>&1; cat "$@"; } | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    return
  fi
  echo "Installing $1 into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
  echo "$wanted" >"$stamp"
}
