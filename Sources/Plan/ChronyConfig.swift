/// chrony.conf as Flotilla writes it: the whole file, from the playbook's typed settings and the
/// distribution's own non-source settings.
///
/// Why the whole file rather than line edits of the distribution's file: the result then depends only on
/// the playbook and the OS family, so a second run plans nothing, the diff shows every line that changes
/// (including the distribution's `pool` lines that go), and nobody's old `server` line survives to pull a
/// client towards another source. The distribution's settings that are not about sources (keyfile,
/// driftfile, ntsdumpdir, logdir, leapsectz, maxupdateskew) are kept; its `confdir`/`sourcedir` includes are
/// kept only with `distro_sources: true`, because sources dropped there would silently join the playbook's.
/// The `server` lines come first, before any `pool` line, as AWS prescribes for its Time Sync Service.
struct ChronyConfig {
    var servers: [String]
    var pools: [String]
    var allow: [String]
    var deny: [String]
    var spec: TimesyncSpec
    var extraLines: [String]

    func render(for distro: Distro) -> String {
        let base = distro.chronyBase
        var out = "# Managed by Flotilla (timesync). Local edits are replaced on the next apply.\n"
        if !servers.isEmpty { out += "\n" + servers.joined(separator: "\n") + "\n" }
        if !pools.isEmpty { out += "\n" + pools.joined(separator: "\n") + "\n" }
        if spec.distroSources { out += "\n# Sources dropped in by the distribution's tools.\n" + base.includes.joined(separator: "\n") + "\n" }
        var settings: [String] = []
        if let m = spec.minsources { settings.append("minsources \(m)") }
        if let d = spec.maxdistance { settings.append("maxdistance \(format(d))") }
        settings.append("makestep \(format(spec.makestep.threshold)) \(spec.makestep.limit)")
        if spec.rtcsync { settings.append("rtcsync") }
        out += "\n" + settings.joined(separator: "\n") + "\n"
        var serving: [String] = allow.map { "allow \($0)" } + deny.map { "deny \($0)" }
        if let s = spec.localStratum { serving.append("local stratum \(s)") }
        if !serving.isEmpty { out += "\n# Serve time to these clients.\n" + serving.joined(separator: "\n") + "\n" }
        out += "\n# Distribution defaults.\n"
        out += ["keyfile \(base.keyfile)", "driftfile \(base.driftfile)"].joined(separator: "\n") + "\n"
        out += base.extra.joined(separator: "\n") + "\n"
        if !extraLines.isEmpty { out += "\n" + extraLines.joined(separator: "\n") + "\n" }
        return out
    }
}
