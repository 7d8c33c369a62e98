// The Plan module. See Package.swift for what it holds.
