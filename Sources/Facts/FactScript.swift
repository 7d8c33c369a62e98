public import FlotillaCore

/// The one POSIX sh script that gathers a host's facts in a single round trip.
///
/// It runs on dash (Debian, Ubuntu) and bash (RHEL, Amazon Linux), needs only coreutils, grep, sed and the
/// host's own tools (dpkg-query or rpm, systemctl, systemd-detect-virt), and never changes anything. Every
/// section starts with a marker line `@@flotilla:section NAME`; items inside a section start with
/// `@@flotilla:unit NAME` or `@@flotilla:file PATH`; the output ends with `@@flotilla:end`, so a cut-short
/// answer is recognised as such. Names come from a checked `FactRequest` and are quoted with `ShellQuote`.
public enum FactScript {
    /// The marker that opens the output; the number changes when the format does.
    public static let header = "@@flotilla:facts 1"
    public static let sectionMarker = "@@flotilla:section "
    public static let unitMarker = "@@flotilla:unit "
    public static let fileMarker = "@@flotilla:file "
    public static let endMarker = "@@flotilla:end"

    /// The shell functions the generated calls use. Kept apart so the per-host part stays short.
    static let prelude = #"""
LC_ALL=C; export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
have() { command -v "$1" >/dev/null 2>&1; }
pkg() {
  if have dpkg-query; then
    if out=$(dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n' "$1" 2>/dev/null) && [ -n "$out" ]; then
      printf '%s\n' "$out" | while IFS= read -r l; do printf 'dpkg\t%s\n' "$l"; done
    else
      printf 'dpkg\t%s\t\tun\n' "$1"
    fi
  elif have rpm; then
    if out=$(rpm -q --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\tinstalled\n' "$1" 2>/dev/null); then
      printf '%s\n' "$out" | while IFS= read -r l; do printf 'rpm\t%s\n' "$l"; done
    else
      printf 'rpm\t%s\t\tnot-installed\n' "$1"
    fi
  else
    printf 'none\t%s\t\tunknown\n' "$1"
  fi
}
unit() {
  printf '@@flotilla:unit %s\n' "$1"
  if ! have systemctl; then echo 'error=systemctl not found'; return 0; fi
  if out=$(systemctl show -p Id,Names,LoadState,UnitFileState,UnitFilePreset,ActiveState,SubState,ConditionResult,ConditionTimestamp,FragmentPath,DropInPaths -- "$1" 2>&1); then
    printf '%s\n' "$out"
  else
    printf 'error=%s\n' "$(printf '%s\n' "$out" | head -n 1)"
  fi
}
file() {
  printf '@@flotilla:file %s\n' "$1"
  if [ -L "$1" ]; then printf 'link=%s\n' "$(readlink -- "$1")"; fi
  if [ ! -e "$1" ]; then echo 'state=absent'; return 0; fi
  stat -L --printf 'mode=%a\nowner=%U\ngroup=%G\nsize=%s\n' -- "$1" 2>/dev/null
  if [ ! -f "$1" ]; then echo 'state=not-regular'; return 0; fi
  if [ ! -r "$1" ]; then echo 'state=unreadable'; return 0; fi
  printf 'sha256=%s\n' "$(sha256sum < "$1" | cut -d ' ' -f 1)"
  size=$(stat -L -c %s -- "$1")
  if [ "$size" -gt "$2" ]; then echo 'state=too-large'; return 0; fi
  echo 'state=present'
  echo 'content-base64:'
  base64 < "$1"
}
echo '@@flotilla:facts 1'
echo '@@flotilla:section os-release'
if [ -r /etc/os-release ]; then cat /etc/os-release; elif [ -r /usr/lib/os-release ]; then cat /usr/lib/os-release; fi
echo
echo '@@flotilla:section package-manager'
for t in apt-get dnf yum dpkg-query rpm; do printf '%s=%s\n' "$t" "$(command -v "$t" 2>/dev/null)"; done
echo '@@flotilla:section init'
if [ -d /run/systemd/system ]; then echo 'systemd=running'; else echo 'systemd=not-running'; fi
printf 'pid1=%s\n' "$(cat /proc/1/comm 2>/dev/null)"
echo '@@flotilla:section virtualization'
if have systemd-detect-virt; then
  printf 'virt=%s\n' "$(systemd-detect-virt 2>/dev/null)"
  printf 'container=%s\n' "$(systemd-detect-virt --container 2>/dev/null)"
else
  echo 'virt='
fi
echo '@@flotilla:section capabilities'
grep -E '^Cap(Eff|Bnd):' /proc/self/status 2>/dev/null
echo '@@flotilla:section chrony'
if have chronyd; then printf 'version=%s\n' "$(chronyd --version 2>/dev/null | head -n 1)"; else echo 'version='; fi
"""#

    /// The script for a request: the prelude, then one line per package, unit and file.
    public static func script(for request: FactRequest) -> String {
        var s = prelude + "\n"
        s += "echo '@@flotilla:section packages'\n"
        for p in request.packages { s += "pkg " + ShellQuote.quote(p) + "\n" }
        s += "echo '@@flotilla:section units'\n"
        for u in request.units { s += "unit " + ShellQuote.quote(u) + "\n" }
        s += "echo '@@flotilla:section files'\n"
        for f in request.files { s += "file " + ShellQuote.join([f, String(request.maxFileBytes)]) + "\n" }
        s += "echo '@@flotilla:end'\n"
        return s
    }

    /// The remote command: `sh -c SCRIPT`, so the login shell of the user does not matter.
    public static func command(for request: FactRequest, become: Become? = nil, timeout: Duration = .seconds(60)) -> RemoteCommand {
        var command = RemoteCommand(.argv(["sh", "-c", script(for: request), "flotilla-facts"]), timeout: timeout, become: become)
        // Base64 grows content by a third; leave room for the rest of the output.
        command.outputLimit = request.files.count * (request.maxFileBytes * 4 / 3 + 4096) + (256 << 10)
        return command
    }
}
