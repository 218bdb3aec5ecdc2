# Sourced by scripts/demo and scripts/test: a .venv that reuses the machine's packages,
# with mailwright installed in it (editable) and on PATH.
if [ ! -x .venv/bin/python ]; then
    printf '\033[1m==> %s\033[0m\n' "creating .venv"
    python3 -m venv --system-site-packages .venv
fi
printf '\033[1m==> %s\033[0m\n' "installing mailwright${MAILWRIGHT_EXTRAS:+ with [$MAILWRIGHT_EXTRAS]}"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${MAILWRIGHT_EXTRAS:+[$MAILWRIGHT_EXTRAS]}"
export PATH="$(pwd)/.venv/bin:$PATH"
