#!/bin/sh
# Makes the broker's password file: one account per site (user = site id), one for the gateways, one reader.
# usage: passwd-recipe.sh <file> <site-id>... ; passwords are read from the environment or generated and printed once.
set -eu
file=$1; shift
: > "$file"
chmod 600 "$file"
add() {
  pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  mosquitto_passwd -b "$file" "$1" "$pass"
  echo "$1 $pass"
}
for site in "$@"; do add "$site"; done
add gateway.fleet
add reader.fleet
