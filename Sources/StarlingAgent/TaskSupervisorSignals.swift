import StarlingModel

/// Linux signal numbers the supervisor needs by name.
enum StopSignal {
    static let terminate: Int32 = 15
    static let kill: Int32 = 9

    /// Linux's signal names without the `SIG` prefix, as Docker accepts them for `StopSignal`.
    static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26,
        "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31, "RTMIN": 34, "RTMAX": 64,
    ]

    /// The highest signal number Linux has.
    static let maximum: Int32 = 64
}

/// Parses a stop signal as Docker does (`signal.ParseSignal`): a number, or a name with or without `SIG`, in any
/// case (`SIGTERM`, `term`, `15`). Throws Docker's "Invalid signal: X".
func parseSignal(_ text: String) throws(StarlingError) -> Int32 {
    let invalid = StarlingError.invalidArgument("Invalid signal: \(text)")
    if let number = Int32(text) {
        guard number > 0, number <= StopSignal.maximum else { throw invalid }
        return number
    }
    var name = text.uppercased()
    if name.hasPrefix("SIG") { name.removeFirst(3) }
    guard let number = StopSignal.numbers[name] else { throw invalid }
    return number
}
