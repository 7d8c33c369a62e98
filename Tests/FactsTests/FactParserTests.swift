import Facts
import Foundation
import Testing

@Suite struct FactParserTests {
    @Test func debian12ContainerWithNtpReadsPackagesUnitsAndCapabilities() throws {
        let facts = try Fixture.facts("debian12-ntp")
        #expect(facts.os.id == "debian")
        #expect(facts.os.versionID == "12")
        #expect(facts.os.family == .debian)
        #expect(facts.os.prettyName == "Debian GNU/Linux 12 (bookworm)")
        #expect(facts.packageManager == .apt)
        #expect(facts.systemdRunning)
        #expect(facts.virtualization == Virtualization(kind: "systemd-nspawn", isContainer: true))
        #expect(facts.hasCapSysTime == false)
        #expect(facts.chronyVersion == nil)
        #expect(facts.package("ntp") == PackageFact(name: "ntp", status: .installed, version: "1:4.2.8p15+dfsg-2~1.2.2+dfsg1-1+deb12u1", dpkgStatus: "ii"))
        #expect(facts.package("chrony").status == .notInstalled)
        #expect(facts.package("chrony").version == nil)
        let ntp = facts.unit("ntp.service")
        #expect(ntp.id == "ntpsec.service")
        #expect(ntp.names == ["ntpsec.service", "ntp.service", "ntpd.service"])
        #expect(ntp.loadState == .loaded)
        #expect(ntp.fileState == .enabled)
        #expect(ntp.activeState == .inactive)
        #expect(ntp.subState == "dead")
        #expect(ntp.conditionResult == false)
        #expect(ntp.fragmentPath == "/lib/systemd/system/ntpsec.service")
        let chrony = facts.unit("chrony.service")
        #expect(chrony.loadState == .notFound)
        #expect(chrony.fileState == .notFound)
        #expect(chrony.fragmentPath == nil)
        #expect(facts.file("/etc/chrony/chrony.conf").state == .absent)
    }

    @Test func maskedUnitKeepsMaskedStateNotDisabled() throws {
        let facts = try Fixture.facts("debian12-chrony-masked")
        let chrony = facts.unit("chrony.service")
        #expect(chrony.loadState == .masked)
        #expect(chrony.fileState == .masked)
        #expect(chrony.isMasked)
        #expect(chrony.fragmentPath == "/dev/null")
        #expect(chrony.preset == "enabled")
        #expect(facts.chronyVersion == "4.3")
    }

    @Test func configFilesOnlyIsNotInstalled() throws {
        let facts = try Fixture.facts("debian12-chrony-masked")
        let ntpsec = facts.package("ntpsec")
        #expect(ntpsec.status == .configFiles)
        #expect(ntpsec.dpkgStatus == "rc")
        #expect(ntpsec.isInstalled == false)
        #expect(ntpsec.leavesTraces)
    }

    @Test func fileContentIsDecodedAndMatchesItsDigest() throws {
        let facts = try Fixture.facts("debian12-chrony-dead")
        let conf = facts.file("/etc/chrony/chrony.conf")
        #expect(conf.state == .present)
        #expect(conf.mode == "644")
        #expect(conf.owner == "root" && conf.group == "root")
        #expect(conf.text?.contains("pool 2.debian.pool.ntp.org iburst\n") == true)
        #expect(conf.size == conf.content?.count)
        #expect(conf.sha256?.count == 64)
        #expect(facts.file("/etc/default/chrony").text?.hasSuffix("DAEMON_OPTS=\"-F 1\"\n") == true)
    }

    @Test func debian13VirtualMachineHasCapSysTimeAndRunningNtpsec() throws {
        let facts = try Fixture.facts("debian13-ntpsec")
        #expect(facts.os.versionID == "13")
        #expect(facts.virtualization == Virtualization(kind: "kvm", isContainer: false))
        #expect(facts.hasCapSysTime)
        #expect(facts.unit("ntpsec.service").activeState == .active)
        #expect(facts.unit("ntpsec.service").conditionResult == true)
        #expect(facts.package("ntpsec").version == "1.2.3+dfsg1-8")
    }

    @Test func ubuntuIsDebianFamilyThroughIDLike() throws {
        let jammy = try Fixture.facts("ubuntu2204-timesyncd")
        #expect(jammy.os.id == "ubuntu")
        #expect(jammy.os.idLike == ["debian"])
        #expect(jammy.os.family == .debian)
        #expect(jammy.virtualization.kind == "amazon")
        #expect(jammy.unit("systemd-timesyncd.service").activeState == .active)
        let noble = try Fixture.facts("ubuntu2404-chrony")
        #expect(noble.os.versionID == "24.04")
        #expect(noble.chronyVersion == "4.5")
        #expect(noble.package("systemd-timesyncd").status == .configFiles)
        #expect(noble.unit("chronyd.service").id == "chrony.service")
    }

    @Test func rhel9ReadsRpmVersionsAndChronydUnit() throws {
        let facts = try Fixture.facts("rhel9-chrony")
        #expect(facts.os.id == "rhel")
        #expect(facts.os.versionID == "9.4")
        #expect(facts.os.family == .redhat)
        #expect(facts.packageManager == .dnf)
        #expect(facts.package("chrony") == PackageFact(name: "chrony", status: .installed, version: "4.5-1.el9"))
        #expect(facts.package("ntp").status == .notInstalled)
        #expect(facts.unit("chronyd.service").fileState == .enabled)
        #expect(facts.unit("chrony.service").loadState == .notFound)
        #expect(facts.file("/etc/chrony.conf").text?.contains("pool 2.rhel.pool.ntp.org iburst") == true)
        #expect(facts.file("/etc/sysconfig/chronyd").text == "# Command-line options for chronyd\nOPTIONS=\"-F 2\"\n")
    }

    @Test func amazonLinux2023IsRedHatFamily() throws {
        let facts = try Fixture.facts("amzn2023-chrony")
        #expect(facts.os.id == "amzn")
        #expect(facts.os.family == .redhat)
        #expect(facts.os.prettyName == "Amazon Linux 2023.6.20241212")
        #expect(facts.chronyVersion == "4.6")
        #expect(facts.package("chrony").version == "4.6-1.amzn2023.0.1")
        #expect(facts.file("/etc/chrony.conf").text?.hasPrefix("# Use Amazon Time Sync Service\nserver 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n") == true)
    }

    /// Captured by running the fact script on this Debian 12 machine (a Docker container without systemd).
    @Test func realDebian12OutputWithoutSystemdKeepsTheUnitErrors() throws {
        let facts = try Fixture.facts("debian12-real-docker")
        #expect(facts.os.prettyName == "Debian GNU/Linux 12 (bookworm)")
        #expect(facts.systemdRunning == false)
        #expect(facts.virtualization == Virtualization(kind: "docker", isContainer: true))
        #expect(facts.package("systemd-timesyncd").status == .installed)
        #expect(facts.package("chrony").dpkgStatus == "un")
        #expect(facts.package("chrony").status == .notInstalled)
        let unit = facts.unit("chrony.service")
        #expect(unit.error?.contains("has not been booted with systemd") == true)
        #expect(facts.file("/etc/hostname").text == "vm\n")
        #expect(facts.file("/etc/hostname").mode == "755")
    }

    @Test func capSysTimeIsBit25OfTheBoundingSet() throws {
        var output = try Fixture.text("debian12-ntp")
        #expect(try FactParser.parse(stdout: output).hasCapSysTime == false)
        output = output.replacingOccurrences(of: "CapBnd:\t000001fffdffffff", with: "CapBnd:\t0000000002000000")
        #expect(try FactParser.parse(stdout: output).hasCapSysTime == true)
    }

    @Test func digestIsStableAndChangesWithTheFacts() throws {
        let a = try Fixture.facts("debian12-ntp")
        let b = try Fixture.facts("debian12-ntp")
        #expect(a.digest == b.digest)
        #expect(a.digest.hasPrefix("sha256:"))
        #expect(a.digest.count == 7 + 64)
        var c = a
        c.packages["ntp"] = .absent("ntp")
        #expect(c.digest != a.digest)
    }

    @Test func factsRoundTripThroughJSON() throws {
        let facts = try Fixture.facts("rhel9-chrony")
        let data = try JSONEncoder().encode(facts)
        let back = try JSONDecoder().decode(HostFacts.self, from: data)
        #expect(back == facts)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"contentBase64\""))
    }
}

@Suite struct FactParserErrorTests {
    @Test func outputWithoutHeaderIsNotFactOutput() {
        #expect(throws: FactsError.notFactOutput(firstLine: "sudo: a password is required")) {
            try FactParser.parse(stdout: "sudo: a password is required\n")
        }
    }

    @Test func outputCutShortIsTruncatedNamingTheSection() throws {
        let text = try Fixture.text("debian12-ntp")
        let cut = String(text[..<text.range(of: "@@flotilla:unit ntp.service")!.lowerBound])
        #expect(throws: FactsError.truncated(lastSection: "units")) { try FactParser.parse(stdout: cut) }
    }

    @Test func missingSectionIsNamed() throws {
        let text = try Fixture.text("debian12-ntp").replacingOccurrences(of: "@@flotilla:section capabilities\n", with: "")
        // Without its marker, the capability lines become part of the virtualization section.
        #expect(throws: FactsError.missingSection("capabilities")) { try FactParser.parse(stdout: text) }
    }

    @Test func garbledPackageLineNamesSectionAndLine() throws {
        let text = try Fixture.text("debian12-ntp").replacingOccurrences(of: "dpkg\topenntpd\t\tun\n", with: "garbage here\n")
        do {
            _ = try FactParser.parse(stdout: text)
            Issue.record("garbage was accepted")
        } catch {
            guard case .malformedLine(let section, let line, let lineText, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(section == "packages")
            #expect(lineText == "garbage here")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[line - 1] == "garbage here")
            #expect(error.description.contains("section 'packages'"))
        }
    }

    @Test func damagedFileContentIsRefused() throws {
        let text = try Fixture.text("debian12-chrony-dead")
        let damaged = text.replacingOccurrences(of: "IyBXZWxjb21l", with: "IyBXZWxjb21m")
        #expect(damaged != text)
        #expect(throws: FactsError.self) { try FactParser.parse(stdout: damaged) }
    }

    @Test func badCapabilityMaskIsMalformed() throws {
        let text = try Fixture.text("debian12-ntp").replacingOccurrences(of: "CapBnd:\t000001fffdffffff", with: "CapBnd:\tzzzz")
        do {
            _ = try FactParser.parse(stdout: text)
            Issue.record("a bad mask was accepted")
        } catch {
            guard case .malformedLine(let section, _, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(section == "capabilities")
        }
    }

    /// A host's `size=` is untrusted: a negative, fractional, non-finite or overflowing size is a malformed line
    /// naming the file, never a silently dropped or wrapped number.
    @Test(arguments: ["-1", "99999999999999999999", "9223372036854775808", "1e3", "inf", "nan", "", "0x6c", "+108"])
    func hostileFileSizeIsMalformed(size: String) throws {
        let text = try Fixture.text("rhel9-bare").replacingOccurrences(of: "size=108\n", with: "size=\(size)\n")
        do {
            _ = try FactParser.parse(stdout: text)
            Issue.record("size=\(size) was accepted")
        } catch {
            guard case .malformedLine(let section, _, let lineText, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(section == "files")
            #expect(lineText == "size=\(size)")
            #expect(reason.contains("/etc/dnf/dnf.conf"))
        }
    }

    @Test func sizeWithLeadingZerosUpToEighteenDigitsIsRead() throws {
        let text = try Fixture.text("debian12-real-docker").replacingOccurrences(of: "size=3\n", with: "size=000000000000000003\n")
        #expect(try FactParser.parse(stdout: text).files["/etc/hostname"]?.size == 3)
        let nineteen = try Fixture.text("debian12-real-docker").replacingOccurrences(of: "size=3\n", with: "size=0000000000000000003\n")
        #expect(throws: FactsError.self) { try FactParser.parse(stdout: nineteen) }
    }

    @Test func emptyOutputIsNotFactOutput() {
        #expect(throws: FactsError.notFactOutput(firstLine: "")) { try FactParser.parse(stdout: "") }
    }
}

@Suite struct FactsRendererTests {
    @Test func textShowsTheFullUnitStateAndPackageStates() throws {
        let text = FactsRenderer.text([("lab-03", try Fixture.facts("debian12-chrony-masked"))])
        #expect(text.hasPrefix("lab-03: Debian GNU/Linux 12 (bookworm), apt, systemd-nspawn container, no CAP_SYS_TIME, chrony 4.3\n"))
        #expect(text.contains("\n  package ntpsec: config files only (dpkg rc)\n"))
        #expect(text.contains("\n  unit chrony.service: load masked, file masked, inactive (dead)\n"))
        #expect(text.contains("\n  file /etc/chrony.conf: absent\n"))
        #expect(text.contains("\n  file /etc/default/chrony: present, 255 bytes, 644 root:root, sha256 "))
    }

    @Test func jsonCarriesEachHostsDigest() throws {
        let facts = try Fixture.facts("rhel9-chrony")
        let json = FactsRenderer.json([("r1", facts)])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let host = (object?["hosts"] as? [String: Any])?["r1"] as? [String: Any]
        #expect(host?["digest"] as? String == facts.digest)
        #expect((host?["facts"] as? [String: Any])?["hasCapSysTime"] as? Bool == true)
    }
}
