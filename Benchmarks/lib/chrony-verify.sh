# Issue 6's independent check, run on one lab host over plain ssh after a contender (`ssh HOST sh -s < this`):
# prints "converged" when the host ended where Playbooks/chrony.yml says, else "NOT CONVERGED: " and every reason.
# Checked: chrony installed, enabled and active; chronyd synchronised (leap status Normal) to 169.254.169.123,
# which is also the first source line of chrony.conf; ntp, ntpsec and openntpd not installed (purged: no config
# files left either); systemd-timesyncd masked or not installed; the apt pin that keeps the purged daemons out.
LC_ALL=C; export LC_ALL
bad=""
no() { bad="$bad; $*"; }
[ "$(dpkg-query -W -f '${db:Status-Abbrev}' chrony 2>/dev/null)" = "ii " ] || no "chrony not installed"
[ "$(systemctl is-active chrony.service 2>/dev/null)" = active ] || no "chrony.service $(systemctl is-active chrony.service 2>&1)"
[ "$(systemctl is-enabled chrony.service 2>/dev/null)" = enabled ] || no "chrony.service $(systemctl is-enabled chrony.service 2>&1)"
tracking=$(chronyc -n -c tracking 2>&1)
ref=$(printf '%s\n' "$tracking" | cut -d, -f2)
leap=$(printf '%s\n' "$tracking" | cut -d, -f14)
[ "$ref" = 169.254.169.123 ] || no "chronyc tracking: reference '$ref' ($tracking)"
[ "$leap" = Normal ] || no "chronyc tracking: leap status '$leap' (not synchronised)"
first=$(grep -E '^[[:space:]]*(server|pool|peer)[[:space:]]' /etc/chrony/chrony.conf 2>/dev/null | head -1 | tr -s ' \t' ' ' | sed 's/^ //')
[ "$first" = "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4" ] || no "first source in chrony.conf: '$first'"
for p in ntp ntpsec openntpd; do
  s=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null)
  case "$s" in ""|"un "|"pn ") ;; *) no "$p still there (dpkg: '$s')" ;; esac
done
ts=$(systemctl is-enabled systemd-timesyncd.service 2>/dev/null)
case "$ts" in masked|masked-runtime|"") ;; *) no "systemd-timesyncd $ts" ;; esac
[ "$(systemctl is-active systemd-timesyncd.service 2>/dev/null)" = active ] && no "systemd-timesyncd active"
grep -qs '^Package: ntp$' /etc/apt/preferences.d/* || no "no apt pin keeps ntp out"
if [ -z "$bad" ]; then echo converged; else echo "NOT CONVERGED: ${bad#; }"; fi
