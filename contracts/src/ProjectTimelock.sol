// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TimelockControllerUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";

/// @title ProjectTimelock
/// @notice A project's TimelockController (implementation behind a beacon). The factory
/// initializes it with the governor as its only proposer and canceller, execution open to
/// anyone, and no admin other than itself.
contract ProjectTimelock is TimelockControllerUpgradeable {
    constructor() {
        _disableInitializers();
    }
}
