import Testing
import Lab

@Suite struct MixSpecTests {
    @Test func defaultMixCyclesAllFourStatesInOrder() {
        #expect(MixSpec.standard.assign(hosts: 6) == [.ntp, .timesyncd, .chronyMasked, .chronyDead, .ntp, .timesyncd])
    }

    @Test func countsAreTakenInOrderAndRepeat() throws {
        let mix = try MixSpec(parsing: "ntp:3,timesyncd:2,chrony-masked:2,chrony-dead:1")
        let states = mix.assign(hosts: 10)
        #expect(Array(states.prefix(8)) == [.ntp, .ntp, .ntp, .timesyncd, .timesyncd, .chronyMasked, .chronyMasked, .chronyDead])
        #expect(Array(states.suffix(2)) == [.ntp, .ntp])
    }

    @Test func namesWithoutCountsAreCycled() throws {
        #expect(try MixSpec(parsing: "chrony-dead, ntp").assign(hosts: 3) == [.chronyDead, .ntp, .chronyDead])
    }

    @Test func unknownStateIsRejectedNamingTheItem() {
        #expect(throws: LabError.badMix(spec: "ntp,chronyd", item: "chronyd",
                                         reason: "unknown state (known: ntp, timesyncd, chrony-masked, chrony-dead)")) {
            try MixSpec(parsing: "ntp,chronyd")
        }
    }

    @Test func mixedCountsAndNamesAreRejected() {
        #expect(throws: LabError.self) { try MixSpec(parsing: "ntp:2,timesyncd") }
    }

    @Test func badCountsAndEmptyItemsAreRejected() {
        #expect(throws: LabError.self) { try MixSpec(parsing: "ntp:x") }
        #expect(throws: LabError.self) { try MixSpec(parsing: "ntp:-1") }
        #expect(throws: LabError.self) { try MixSpec(parsing: "ntp,,timesyncd") }
        #expect(throws: LabError.self) { try MixSpec(parsing: "") }
        #expect(throws: LabError.self) { try MixSpec(parsing: "ntp:0,timesyncd:0") }
    }

    @Test func faultWordsParseAndBadOnesNameTheHost() throws {
        #expect(try LabFault(words: ["skew", "2.5"], host: "node01") == .skew(2.5))
        #expect(try LabFault(words: ["dpkg-lock", "30"], host: "node01") == .dpkgLock(seconds: 30))
        #expect(try LabFault(words: ["partition"], host: "node01") == .partition)
        #expect(try LabFault(words: ["mirror-down"], host: "node01") == .mirrorDown)
        #expect(try LabFault(words: ["fail-start", "chrony.service"], host: "node01") == .failStart(unit: "chrony.service"))
        #expect(throws: LabError.self) { try LabFault(words: ["fail-start"], host: "node02") }
        #expect(throws: LabError.self) { try LabFault(words: ["fail-start", "../../etc/passwd"], host: "node02") }
        #expect(throws: LabError.badFault(host: "node02", reason: "`skew` needs one number of seconds")) {
            try LabFault(words: ["skew"], host: "node02")
        }
        #expect(throws: LabError.self) { try LabFault(words: ["dpkg-lock", "0"], host: "node02") }
        #expect(throws: LabError.self) { try LabFault(words: ["explode"], host: "node02") }
    }
}
