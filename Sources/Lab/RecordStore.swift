/// Serialises changes to the lab record and writes the state file after each one (the intent log).
actor RecordStore {
    private(set) var record: LabRecord
    let path: String

    init(_ record: LabRecord, path: String) {
        self.record = record
        self.path = path
    }

    func change(_ body: (inout LabRecord) -> Void) throws {
        body(&record)
        try record.save(path)
    }
}
