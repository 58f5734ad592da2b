// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title PlatformTimelock
/// @notice The platform's own TimelockController: owner of every ProjectBeacon, so an upgrade
/// of a contract kind is scheduled, visible for `minDelay`, then executed.
contract PlatformTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
