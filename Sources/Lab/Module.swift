// The Lab module. See Package.swift for what it holds.
