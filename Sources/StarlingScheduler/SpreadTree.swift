/// The nodes one batch may use, arranged by its spread preferences (SwarmKit's `decisionTree`): the root's children
/// are the values of the first descriptor, theirs the values of the second, and so on; a node without the label
/// has the value "" and so sits in a branch of its own. Leaves hold the candidate nodes in a heap by ranking key.
///
/// Each task goes down the branch with the fewest tasks of the service at every level (water-filling, so values
/// stay within one task of each other while they have room); among branches that tie, the one whose best node
/// ranks first wins, which falls back to the node ranking instead of favouring a fixed value. A branch whose nodes
/// can take no more is marked full and skipped.
struct SpreadTree: Sendable {
    struct Branch: Sendable {
        var parent: Int32
        var children: [Int32] = []
        /// Tasks of the service on the branch's nodes, including those placed by this batch.
        var tasks: Int64 = 0
        var full = false
        /// Candidate nodes, for a leaf.
        var heap = NodeHeap()
    }

    private(set) var branches: [Branch] = [Branch(parent: -1)]
    private let depth: Int

    /// Builds the tree over `members`: every node that passes the static filters or has tasks of the service.
    /// `isCandidate` says which may take a task now; `key` gives a candidate's ranking key.
    init(
        levels: [SpreadValues], members: [Int32], serviceTasks: (Int32) -> Int32, isCandidate: (Int32) -> Bool,
        key: (Int32) -> UInt64
    ) {
        depth = levels.count
        var childByValue: [Int64: Int32] = [:]
        for node in members {
            let tasks = Int64(serviceTasks(node))
            var branch: Int32 = 0
            branches[0].tasks += tasks
            for level in levels {
                let value = Int64(level.valueOfNode[Int(node)])
                let lookup = Int64(branch) << 32 | value
                if let child = childByValue[lookup] {
                    branch = child
                } else {
                    let child = Int32(branches.count)
                    branches.append(Branch(parent: branch))
                    branches[Int(branch)].children.append(child)
                    childByValue[lookup] = child
                    branch = child
                }
                branches[Int(branch)].tasks += tasks
            }
            if isCandidate(node) { branches[Int(branch)].heap.appendUnordered(key(node)) }
        }
        for index in branches.indices where branches[index].children.isEmpty {
            branches[index].heap.heapify()
        }
    }

    /// The leaf the next task should go to and the key of its best node (its heap's top), or nil when no branch has
    /// room. `cleanTop` removes heap tops that can no longer take a task and returns the leaf's best key, or nil
    /// when the leaf is empty.
    mutating func chooseLeaf(cleanTop: (inout NodeHeap) -> UInt64?) -> (leaf: Int32, key: UInt64)? {
        choose(0, cleanTop: cleanTop)
    }

    private mutating func choose(_ branch: Int32, cleanTop: (inout NodeHeap) -> UInt64?) -> (leaf: Int32, key: UInt64)?
    {
        let index = Int(branch)
        if branches[index].children.isEmpty {
            guard let key = cleanTop(&branches[index].heap) else {
                branches[index].full = true
                return nil
            }
            return (branch, key)
        }
        while true {
            var fewest = Int64.max
            for child in branches[index].children where !branches[Int(child)].full {
                fewest = min(fewest, branches[Int(child)].tasks)
            }
            if fewest == .max {
                branches[index].full = true
                return nil
            }
            var best: (leaf: Int32, key: UInt64)?
            for child in branches[index].children
            where !branches[Int(child)].full && branches[Int(child)].tasks == fewest {
                if let found = choose(child, cleanTop: cleanTop), found.key < best?.key ?? .max {
                    best = found
                }
            }
            if let best { return best }
        }
    }

    /// Mutable access to a leaf's heap, to place on its top node.
    mutating func withHeap<Result>(_ leaf: Int32, _ body: (inout NodeHeap) -> Result) -> Result {
        body(&branches[Int(leaf)].heap)
    }

    /// Counts one more task on `leaf` and every branch above it.
    mutating func countTask(on leaf: Int32) {
        var branch = leaf
        while branch >= 0 {
            branches[Int(branch)].tasks += 1
            branch = branches[Int(branch)].parent
        }
    }
}
