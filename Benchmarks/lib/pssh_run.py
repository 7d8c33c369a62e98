"""Run commands on the benchmark fleet with parallel-ssh's native (libssh2) client.

    python pssh_run.py FLEET_DIR POOL_SIZE CMD [CMD...]

Every CMD is run on every host with its own run_command() call on the SAME ParallelSSHClient, so the
connections made by the first command are reused by the others (one SSH connection per host). Each output line is
printed as "ALIAS<TAB>LINE"; a per-host error is printed as "ALIAS<TAB>ERROR ...". The last line is a summary.
Exit status: 0 when every host ran every command with exit status 0, 1 otherwise.

Note: parallel-ssh's native client does not check host keys (it has no known_hosts support), so it does less work
than OpenSSH, Ansible, pyinfra and Flotilla, which all verify the keys against FLEET_DIR/known_hosts.
"""

import sys

from pssh.clients.native import ParallelSSHClient
from pssh.config import HostConfig


def read_fleet(fleet_dir):
    ports = [int(line) for line in open(f"{fleet_dir}/ports.txt") if line.strip()]
    key = f"{fleet_dir}/id_ed25519"
    width = max(3, len(str(len(ports))))
    hosts = ["127.0.0.1"] * len(ports)
    config = [
        HostConfig(port=port, user="root", private_key=key, alias=f"h{i + 1:0{width}d}", allow_agent=False)
        for i, port in enumerate(ports)
    ]
    return hosts, config


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    fleet_dir, pool_size, commands = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    hosts, config = read_fleet(fleet_dir)
    client = ParallelSSHClient(hosts, host_config=config, pool_size=pool_size, allow_agent=False, num_retries=1)
    failures = 0
    for command in commands:
        output = client.run_command(command, stop_on_errors=False)
        client.join(output)
        for host_output in output:
            alias = host_output.alias
            if host_output.exception is not None:
                failures += 1
                print(f"{alias}\tERROR {type(host_output.exception).__name__}: {host_output.exception}")
                continue
            for line in host_output.stdout:
                print(f"{alias}\t{line}")
            for line in host_output.stderr:
                print(f"{alias}\tSTDERR {line}")
            if host_output.exit_code != 0:
                failures += 1
                print(f"{alias}\tEXIT {host_output.exit_code}")
    print(f"pssh: {len(hosts)} hosts x {len(commands)} commands, {failures} failures")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
