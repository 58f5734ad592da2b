// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Plain OpenZeppelin ERC-20, used only as the gas benchmark's reference point.
contract ReferenceERC20 is ERC20 {
    constructor(uint256 supply) ERC20("Reference", "REF") {
        _mint(msg.sender, supply);
    }
}
