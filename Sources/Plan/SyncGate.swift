/// The check a batch must pass before the next one starts: chrony synchronised within bounds.
public struct SyncGate: Sendable, Codable, Hashable {
    /// `chronyc waitsync` tries.
    public var tries: Int
    /// Seconds between tries.
    public var interval: Double
    /// Largest remaining correction in seconds (0: not checked), `waitsync`'s max-correction.
    public var maxCorrection: Double
    /// Largest skew in ppm (0: not checked), `waitsync`'s max-skew.
    public var maxSkew: Double
    /// Largest |offset| in seconds the audit accepts after sync, when given.
    public var maxOffset: Double?
    /// The source the host must follow (an address or name), when given; may use variables.
    public var source: Template?

    public init(tries: Int = 60, interval: Double = 1, maxCorrection: Double = 0.1, maxSkew: Double = 0, maxOffset: Double? = nil, source: Template? = nil) {
        self.tries = tries
        self.interval = interval
        self.maxCorrection = maxCorrection
        self.maxSkew = maxSkew
        self.maxOffset = maxOffset
        self.source = source
    }
}
