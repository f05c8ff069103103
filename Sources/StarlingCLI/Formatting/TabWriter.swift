/// Go's `text/tabwriter` (flags 0, space padding), which the docker CLI prints its tables through.
///
/// Cells end with a tab; text after a line's last tab is not part of a column. A column's width is decided per
/// *block*: the run of consecutive lines that have a cell in that column. It is the widest cell of the block plus
/// `padding`, and at least `minWidth`. Widths count Unicode scalars, as Go counts runes.
struct TabWriter {
    var minWidth: Int
    var padding: Int

    /// The docker CLI's table writer (`formatter.Context`): minimum width 10, padding 3.
    static let table = TabWriter(minWidth: 10, padding: 3)

    func format(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        var renderer = Renderer(lines: lines, minWidth: minWidth, padding: padding)
        renderer.format(from: 0, to: lines.count)
        return renderer.output
    }

    private struct Renderer {
        let lines: [[String]]
        let minWidth: Int
        let padding: Int
        var widths: [Int] = []
        var output = ""
        var written = 0

        init(lines: [[String]], minWidth: Int, padding: Int) {
            self.lines = lines
            self.minWidth = minWidth
            self.padding = padding
        }

        /// Go's `Writer.format`: finds the blocks of column `widths.count` between `line0` and `line1`, fixes each
        /// block's width, and recurses into the next column for the lines of that block.
        mutating func format(from line0: Int, to line1: Int) {
            let column = widths.count
            var start = line0
            var this = line0
            while this < line1 {
                guard column < lines[this].count - 1 else {
                    this += 1
                    continue
                }
                writeLines(from: start, to: this)
                start = this
                var width = minWidth
                while this < line1, column < lines[this].count - 1 {
                    width = max(width, lines[this][column].unicodeScalars.count + padding)
                    this += 1
                }
                widths.append(width)
                format(from: start, to: this)
                widths.removeLast()
                start = this
            }
            writeLines(from: start, to: line1)
        }

        mutating func writeLines(from line0: Int, to line1: Int) {
            guard line0 < line1 else { return }
            for index in line0..<line1 {
                for (column, cell) in lines[index].enumerated() {
                    output += cell
                    if column < widths.count {
                        output += String(repeating: " ", count: widths[column] - cell.unicodeScalars.count)
                    }
                }
                if index + 1 < lines.count { output += "\n" }
            }
        }
    }
}
