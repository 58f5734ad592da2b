// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {UpgradeableBeacon} from "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol";

/// @title ProjectBeacon
/// @notice OpenZeppelin UpgradeableBeacon, one per contract kind; owned by the PlatformTimelock,
/// so only a timelocked platform operation can `upgradeTo` a new implementation.
contract ProjectBeacon is UpgradeableBeacon {
    constructor(address implementation_, address owner_) UpgradeableBeacon(implementation_, owner_) {}
}
