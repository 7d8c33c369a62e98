// The Inventory module. See Package.swift for what it holds.
