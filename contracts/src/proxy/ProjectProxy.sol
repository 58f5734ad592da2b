// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBeacon} from "@openzeppelin/contracts/proxy/beacon/IBeacon.sol";

/// @title ProjectProxy
/// @notice Minimal ERC-1967 beacon proxy: the beacon is an immutable (no SLOAD per call) and is
/// also written to the ERC-1967 beacon slot so explorers and tools recognise the proxy.
/// Every call is delegated to `IBeacon(beacon).implementation()`.
contract ProjectProxy {
    /// @dev bytes32(uint256(keccak256("eip1967.proxy.beacon")) - 1)
    bytes32 private constant BEACON_SLOT = 0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50;

    address private immutable _beacon;

    event BeaconUpgraded(address indexed beacon);

    constructor(address beacon) {
        _beacon = beacon;
        assembly {
            sstore(BEACON_SLOT, beacon)
        }
        emit BeaconUpgraded(beacon);
    }

    fallback() external payable {
        address impl = IBeacon(_beacon).implementation();
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 { revert(0, returndatasize()) }
            default { return(0, returndatasize()) }
        }
    }
}
