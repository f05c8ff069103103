/// A binary min-heap of node ranking keys. A key packs, most significant first, the node's tasks of the service
/// being placed, its tasks in all and its place in the shuffled node order (`NodeTable.key`), so the smallest key is
/// the preferred node and a key names its node.
struct NodeHeap: Sendable {
    private(set) var keys: [UInt64] = []

    var isEmpty: Bool { keys.isEmpty }
    var top: UInt64? { keys.first }

    /// Adds a key without keeping the heap order; call `heapify()` after the last one.
    mutating func appendUnordered(_ key: UInt64) {
        keys.append(key)
    }

    mutating func heapify() {
        var index = keys.count / 2 - 1
        while index >= 0 {
            siftDown(index)
            index -= 1
        }
    }

    mutating func removeTop() {
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            siftDown(0)
        }
    }

    /// Replaces the top key with a larger one (the node took a task).
    mutating func replaceTop(with key: UInt64) {
        keys[0] = key
        siftDown(0)
    }

    private mutating func siftDown(_ start: Int) {
        let count = keys.count
        keys.withUnsafeMutableBufferPointer { keys in
            var parent = start
            let key = keys[parent]
            while true {
                var child = 2 * parent + 1
                if child >= count { break }
                if child + 1 < count, keys[child + 1] < keys[child] { child += 1 }
                if keys[child] >= key { break }
                keys[parent] = keys[child]
                parent = child
            }
            keys[parent] = key
        }
    }
}
