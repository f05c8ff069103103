/// A DEFLATE (RFC 1951) decoder that pulls compressed bytes from a `ByteReader` and hands out the decompressed
/// stream in chunks, keeping only the 32 KiB window that back-references need. Pure Swift, because the toolchain
/// offers no zlib module and layers must not be unpacked by a shell-out.
final class Inflater {
    /// The bits of the compressed input, least significant first.
    let bits: BitReader
    private var state: BlockState = .header
    private var isFinalBlock = false
    /// Decompressed bytes: everything from `readOffset` on is not handed out yet; the bytes before it are the window.
    private var output: [UInt8] = []
    private var readOffset = 0

    private enum BlockState {
        case header
        case stored(remaining: Int)
        case compressed(literals: HuffmanCode, distances: HuffmanCode)
        case done
    }

    init(bits: BitReader) { self.bits = bits }

    var isFinished: Bool {
        if case .done = state { return readOffset == output.count }
        return false
    }

    /// Up to `maxLength` decompressed bytes; empty at the end of the DEFLATE stream.
    func read(maxLength: Int) throws -> [UInt8] {
        while output.count - readOffset < maxLength {
            if case .done = state { break }
            try step(until: readOffset + maxLength)
        }
        let end = min(output.count, readOffset + maxLength)
        let chunk = Array(output[readOffset..<end])
        readOffset = end
        let window = 1 << 15
        if readOffset > 4 * window {
            output.removeFirst(readOffset - window)
            readOffset = window
        }
        return chunk
    }

    private func step(until target: Int) throws {
        switch state {
        case .done:
            return
        case .header:
            try readBlockHeader()
        case .stored(let remaining):
            let chunk = try bits.readAlignedBytes(min(remaining, max(target - output.count, 1)))
            output.append(contentsOf: chunk)
            let left = remaining - chunk.count
            state = left > 0 ? .stored(remaining: left) : (isFinalBlock ? .done : .header)
        case .compressed(let literals, let distances):
            if try decodeSymbols(literals: literals, distances: distances, until: target) {
                state = isFinalBlock ? .done : .header
            }
        }
    }

    private func readBlockHeader() throws {
        isFinalBlock = try bits.read(1) == 1
        switch try bits.read(2) {
        case 0:
            bits.alignToByte()
            let length = try bits.read(16)
            let complement = try bits.read(16)
            guard length == ~complement & 0xFFFF else { throw ArchiveError.corrupt("deflate: bad stored block length") }
            state = length > 0 ? .stored(remaining: Int(length)) : (isFinalBlock ? .done : .header)
        case 1:
            state = .compressed(literals: HuffmanCode.fixedLiterals, distances: HuffmanCode.fixedDistances)
        case 2:
            let (literals, distances) = try readDynamicCodes()
            state = .compressed(literals: literals, distances: distances)
        default:
            throw ArchiveError.corrupt("deflate: invalid block type")
        }
    }

    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private func readDynamicCodes() throws -> (HuffmanCode, HuffmanCode) {
        let literalCount = Int(try bits.read(5)) + 257
        let distanceCount = Int(try bits.read(5)) + 1
        let lengthCodeCount = Int(try bits.read(4)) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw ArchiveError.corrupt("deflate: too many codes") }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for index in 0..<lengthCodeCount {
            codeLengthLengths[Self.codeLengthOrder[index]] = UInt8(try bits.read(3))
        }
        let codeLengthCode = try HuffmanCode(lengths: codeLengthLengths)
        var lengths: [UInt8] = []
        lengths.reserveCapacity(literalCount + distanceCount)
        while lengths.count < literalCount + distanceCount {
            let symbol = try codeLengthCode.decode(&bits.stream)
            switch symbol {
            case 0...15:
                lengths.append(UInt8(symbol))
            case 16:
                guard let previous = lengths.last else { throw ArchiveError.corrupt("deflate: repeat without length") }
                lengths.append(contentsOf: repeatElement(previous, count: 3 + Int(try bits.read(2))))
            case 17:
                lengths.append(contentsOf: repeatElement(0, count: 3 + Int(try bits.read(3))))
            default:
                lengths.append(contentsOf: repeatElement(0, count: 11 + Int(try bits.read(7))))
            }
        }
        guard lengths.count == literalCount + distanceCount, lengths[256] != 0 else {
            throw ArchiveError.corrupt("deflate: bad code lengths")
        }
        let literals = try HuffmanCode(lengths: Array(lengths[..<literalCount]))
        let distances = try HuffmanCode(lengths: Array(lengths[literalCount...]))
        return (literals, distances)
    }

    private static let lengthBase: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    private static let lengthExtra: [Int] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    private static let distanceBase: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ]
    private static let distanceExtra: [Int] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]

    /// Decodes until the output reaches `target` bytes or the block ends; true at the end of the block. The loop
    /// works on local copies of the output and the bit stream: class properties would cost an exclusivity check
    /// per access, and appending a slice of the output to itself would copy the whole buffer.
    private func decodeSymbols(literals: HuffmanCode, distances: HuffmanCode, until target: Int) throws -> Bool {
        var out: [UInt8] = []
        swap(&out, &output)
        var stream = bits.stream
        defer {
            swap(&out, &output)
            bits.stream = stream
        }
        while out.count < target {
            let symbol = Int(try literals.decode(&stream))
            if symbol < 256 {
                out.append(UInt8(truncatingIfNeeded: symbol))
                continue
            }
            if symbol == 256 { return true }
            let lengthIndex = symbol - 257
            guard lengthIndex < 29 else { throw ArchiveError.corrupt("deflate: bad length symbol") }
            let length = Self.lengthBase[lengthIndex] + Int(try stream.read(Self.lengthExtra[lengthIndex]))
            let distanceIndex = Int(try distances.decode(&stream))
            guard distanceIndex < 30 else { throw ArchiveError.corrupt("deflate: bad distance symbol") }
            let distance = Self.distanceBase[distanceIndex] + Int(try stream.read(Self.distanceExtra[distanceIndex]))
            guard distance <= out.count else { throw ArchiveError.corrupt("deflate: distance too far back") }
            let start = out.count - distance
            out.reserveCapacity(out.count + length)
            for offset in 0..<length { out.append(out[start &+ offset]) }
        }
        return false
    }
}

/// A canonical Huffman code with a lookup table for short codes and the bit-by-bit walk (zlib's `puff`) for long
/// ones.
struct HuffmanCode {
    private static let fastBits = 10
    /// Number of codes of each length, 0...15.
    private var counts = [Int](repeating: 0, count: 16)
    /// Symbols ordered by code.
    private var symbols: [UInt16] = []
    /// Indexed by the next `fastBits` input bits: `symbol << 4 | length`, or 0 when the code is longer.
    private var fast = [UInt16](repeating: 0, count: 1 << HuffmanCode.fastBits)

    init(lengths: [UInt8]) throws {
        for length in lengths { counts[Int(length)] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1...15 {
            left = left << 1 - counts[length]
            guard left >= 0 else { throw ArchiveError.corrupt("deflate: over-subscribed code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [UInt16](repeating: 0, count: offsets[15] + counts[15])
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[Int(length)]] = UInt16(symbol)
            offsets[Int(length)] += 1
        }
        // Canonical codes in order, bit-reversed to index the table with the least significant input bits first.
        var code = 0
        var index = 0
        for length in 1...15 {
            for _ in 0..<counts[length] {
                if length <= Self.fastBits {
                    var reversed = 0
                    for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
                    let entry = UInt16(Int(symbols[index]) << 4 | length)
                    var slot = reversed
                    while slot < 1 << Self.fastBits {
                        fast[slot] = entry
                        slot += 1 << length
                    }
                }
                code += 1
                index += 1
            }
            code <<= 1
        }
    }

    func decode(_ bits: inout BitStream) throws -> UInt16 {
        let available = try bits.peek(15)
        let entry = fast[Int(available & UInt64(1 << Self.fastBits - 1))]
        if entry != 0 {
            try bits.consume(Int(entry & 15))
            return entry >> 4
        }
        var code = 0
        var first = 0
        var index = 0
        for length in 1...15 {
            code |= Int((available >> UInt64(length - 1)) & 1)
            let count = counts[length]
            if code - count < first {
                try bits.consume(length)
                return symbols[index + code - first]
            }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw ArchiveError.corrupt("deflate: invalid code")
    }

    static let fixedLiterals: HuffmanCode = {
        var lengths = [UInt8](repeating: 8, count: 288)
        for index in 144..<256 { lengths[index] = 9 }
        for index in 256..<280 { lengths[index] = 7 }
        // The fixed code is complete by construction.
        return (try? HuffmanCode(lengths: lengths)) ?? HuffmanCode()
    }()

    static let fixedDistances: HuffmanCode =
        (try? HuffmanCode(lengths: [UInt8](repeating: 5, count: 30))) ?? HuffmanCode()

    private init() {}
}

/// The bit stream that the inflater and the gzip framing share (a class, so both see one position).
final class BitReader {
    var stream: BitStream

    init(_ source: any ByteReader) { stream = BitStream(source: source) }

    func read(_ wanted: Int) throws -> UInt64 { try stream.read(wanted) }
    func alignToByte() { stream.alignToByte() }
    func readAlignedBytes(_ wanted: Int) throws -> [UInt8] { try stream.readAlignedBytes(wanted) }
    func readAlignedByte() throws -> UInt8? { try stream.readAlignedByte() }
}

/// Reads a byte stream as bits, least significant bit of each byte first, as DEFLATE packs them.
struct BitStream {
    private let source: any ByteReader
    private var input: [UInt8] = []
    private var inputOffset = 0
    private var buffer: UInt64 = 0
    private var count = 0
    /// Zero bits added past the end of the input so that a short final code can be looked up.
    private var padding = 0

    init(source: any ByteReader) { self.source = source }

    /// The next `wanted` bits (at most 56) without consuming them; zeros past the end of the input.
    mutating func peek(_ wanted: Int) throws -> UInt64 {
        while count < wanted {
            guard let byte = try nextByte() else {
                padding += wanted - count
                count = wanted
                break
            }
            buffer |= UInt64(byte) << UInt64(count)
            count += 8
        }
        return buffer & ((1 << UInt64(wanted)) - 1)
    }

    mutating func consume(_ used: Int) throws {
        guard count - padding >= used else { throw ArchiveError.corrupt("deflate: unexpected end of data") }
        buffer >>= UInt64(used)
        count -= used
    }

    mutating func read(_ wanted: Int) throws -> UInt64 {
        if wanted == 0 { return 0 }
        let value = try peek(wanted)
        try consume(wanted)
        return value
    }

    /// Drops the bits left in the current byte.
    mutating func alignToByte() {
        let drop = count % 8
        buffer >>= UInt64(drop)
        count -= drop
    }

    /// Up to `wanted` whole bytes after `alignToByte`, from the bit buffer first; throws at the end of the input.
    mutating func readAlignedBytes(_ wanted: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while count - padding >= 8, bytes.count < wanted {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
        if bytes.count < wanted, inputOffset < input.count {
            let end = min(input.count, inputOffset + wanted - bytes.count)
            bytes.append(contentsOf: input[inputOffset..<end])
            inputOffset = end
        }
        if bytes.isEmpty, wanted > 0 {
            guard let byte = try nextByte() else { throw ArchiveError.corrupt("unexpected end of compressed data") }
            bytes.append(byte)
        }
        return bytes
    }

    /// The next aligned byte, or nil at the end of the input.
    mutating func readAlignedByte() throws -> UInt8? {
        if count - padding >= 8 { return try readAlignedBytes(1).first }
        return try nextByte()
    }

    private mutating func nextByte() throws -> UInt8? {
        if inputOffset == input.count {
            input = try source.read(maxLength: 1 << 16)
            inputOffset = 0
            if input.isEmpty { return nil }
        }
        defer { inputOffset += 1 }
        return input[inputOffset]
    }
}
