import Foundation
import StarlingModel

/// The small text conventions of the docker CLI (and of the Go libraries it prints through), so that Starling's
/// output reads the same character for character.
enum GoText {
    /// `formatter.PrettyPrint` of a string: the first letter upper case, the rest lower case (a single letter is
    /// lowered).
    static func prettyPrint(_ text: String) -> String {
        switch text.count {
        case 0: return text
        case 1: return text.lowercased()
        default: return text.prefix(1).uppercased() + text.dropFirst().lowercased()
        }
    }

    /// go-units `BytesSize`: binary units, four significant digits (`7.772GiB`, `1GiB`, `512B`).
    static func bytesSize(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        var size = bytes
        var unit = 0
        while size >= 1024, unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        return String(format: "%.4g", size) + units[unit]
    }

    /// go-units `HumanDuration`.
    static func humanDuration(nanoseconds: Int64) -> String {
        let seconds = Int(nanoseconds / 1_000_000_000)
        let minutes = seconds / 60
        let hours = Int((Double(nanoseconds) / 3.6e12 + 0.5).rounded(.down))
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(Double(nanoseconds) / 3.6e12) / 24 / 365) years"
    }

    /// Go's `time.Time.String()` for a UTC time: `2024-05-01 10:11:12.123456789 +0000 UTC` (no fraction when it is
    /// zero, trailing zeros of the fraction dropped).
    static func timeString(_ time: Timestamp) -> String {
        let wire = RFC3339.format(time)  // 2024-05-01T10:11:12.123456789Z
        return wire.dropLast().replacingOccurrences(of: "T", with: " ") + " +0000 UTC"
    }

    /// The docker CLI's `reformatDate`: an RFC 3339 time in Go's `ANSIC` layout (`Wed May  1 10:11:12 2024`), in
    /// the time's own offset; anything else is returned unchanged.
    static func ansic(_ text: String) -> String {
        guard let time = RFC3339.parse(text) else { return text }
        var offset = 0
        if !text.hasSuffix("Z"), !text.hasSuffix("z"), text.count >= 6 {
            let suffix = Array(text.suffix(6))
            if (suffix[0] == "+" || suffix[0] == "-"), suffix[3] == ":",
                let hours = Int(String(suffix[1...2])), let minutes = Int(String(suffix[4...5]))
            {
                offset = (hours * 3600 + minutes * 60) * (suffix[0] == "-" ? -1 : 1)
            }
        }
        var seconds = time_t(time.seconds) + time_t(offset)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(
            format: "%@ %@ %2d %02d:%02d:%02d %d", days[Int(parts.tm_wday)], months[Int(parts.tm_mon)],
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(parts.tm_year) + 1900)
    }

    /// `sortorder.NaturalLess`, which `node ls` sorts hostnames with: digits before other characters, runs of
    /// digits compared as numbers, other bytes compared as bytes.
    static func naturalLess(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            let (c1, c2) = (a[i], b[j])
            let (d1, d2) = (isDigit(c1), isDigit(c2))
            if d1 != d2 { return d1 }
            if !d1 {
                if c1 != c2 { return c1 < c2 }
                i += 1
                j += 1
                continue
            }
            while i < a.count, a[i] == 48 { i += 1 }
            while j < b.count, b[j] == 48 { j += 1 }
            let (start1, start2) = (i, j)
            while i < a.count, isDigit(a[i]) { i += 1 }
            while j < b.count, isDigit(b[j]) { j += 1 }
            if i - start1 != j - start2 { return i - start1 < j - start2 }
            if a[start1..<i] != b[start2..<j] { return a[start1..<i].lexicographicallyPrecedes(b[start2..<j]) }
            if start1 != start2 { return start1 < start2 }
        }
        return a.count < b.count
    }

    /// Standard base64 of a base64 text in either alphabet (Go encodes `[]byte` with the standard one).
    static func standardBase64(_ text: String) -> String {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while normalized.count % 4 != 0 { normalized += "=" }
        guard let data = Data(base64Encoded: normalized) else { return text }
        return data.base64EncodedString()
    }
}
