// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice One per platform. Maps a wallet to the KYC identity of its investor, packed in one
/// storage slot: bytes24 investor id (first 24 bytes of a hash of the off-chain investor id),
/// uint40 KYC expiry (unix seconds), uint16 country code (ISO 3166-1 numeric) and a frozen flag.
/// `isVerified` is therefore a single SLOAD. Written only by holders of AGENT_ROLE.
/// The frozen flag is independent of the identity: a wallet can be frozen before it is
/// registered, and stays frozen when its identity is removed or re-registered.
contract IdentityRegistry is AccessControl, IIdentityRegistry {
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");

    struct Identity {
        bytes24 investorId;
        uint40 expiry;
        uint16 country;
        bool frozen;
    }

    mapping(address wallet => Identity) private _identities;

    event IdentityRegistered(address indexed wallet, bytes24 indexed investorId, uint16 country, uint40 expiry);
    event IdentityUpdated(address indexed wallet, bytes24 indexed investorId, uint16 country, uint40 expiry);
    event IdentityRemoved(address indexed wallet, bytes24 indexed investorId);
    event WalletFrozen(address indexed wallet, bool frozen);

    error ZeroAddress();
    error InvalidInvestorId();
    error InvalidExpiry(uint40 expiry);
    error AlreadyRegistered(address wallet);
    error NotRegistered(address wallet);
    error LengthMismatch();

    constructor(address admin, address agent) {
        if (admin == address(0) || agent == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(AGENT_ROLE, agent);
    }

    // ---------------------------------------------------------------- writes (agent)

    function registerIdentity(address wallet, bytes24 investorId, uint16 country, uint40 expiry)
        external
        onlyRole(AGENT_ROLE)
    {
        _register(wallet, investorId, country, expiry);
    }

    function batchRegisterIdentity(
        address[] calldata wallets,
        bytes24[] calldata investorIds,
        uint16[] calldata countries,
        uint40[] calldata expiries
    ) external onlyRole(AGENT_ROLE) {
        uint256 n = wallets.length;
        if (investorIds.length != n || countries.length != n || expiries.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ++i) {
            _register(wallets[i], investorIds[i], countries[i], expiries[i]);
        }
    }

    /// @notice Changes the country and KYC expiry of a registered wallet (e.g. after a KYC renewal).
    function updateIdentity(address wallet, uint16 country, uint40 expiry) external onlyRole(AGENT_ROLE) {
        Identity storage id = _identities[wallet];
        bytes24 investorId = id.investorId;
        if (investorId == bytes24(0)) revert NotRegistered(wallet);
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        id.country = country;
        id.expiry = expiry;
        emit IdentityUpdated(wallet, investorId, country, expiry);
    }

    /// @notice Removes the identity (KYC revoked or expired). The frozen flag is kept.
    function removeIdentity(address wallet) external onlyRole(AGENT_ROLE) {
        Identity storage id = _identities[wallet];
        bytes24 investorId = id.investorId;
        if (investorId == bytes24(0)) revert NotRegistered(wallet);
        bool frozen = id.frozen;
        _identities[wallet] = Identity({investorId: bytes24(0), expiry: 0, country: 0, frozen: frozen});
        emit IdentityRemoved(wallet, investorId);
    }

    function setFrozen(address wallet, bool frozen) external onlyRole(AGENT_ROLE) {
        if (wallet == address(0)) revert ZeroAddress();
        _identities[wallet].frozen = frozen;
        emit WalletFrozen(wallet, frozen);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IIdentityRegistry
    function isVerified(address wallet) public view returns (bool) {
        Identity memory id = _identities[wallet];
        return id.investorId != bytes24(0) && id.expiry > block.timestamp && !id.frozen;
    }

    /// @inheritdoc IIdentityRegistry
    function areVerified(address a, address b) external view returns (bool) {
        return isVerified(a) && isVerified(b);
    }

    /// @inheritdoc IIdentityRegistry
    function isAgent(address account) external view returns (bool) {
        return hasRole(AGENT_ROLE, account);
    }

    function isFrozen(address wallet) external view returns (bool) {
        return _identities[wallet].frozen;
    }

    function investorIdOf(address wallet) external view returns (bytes24) {
        return _identities[wallet].investorId;
    }

    function identityOf(address wallet)
        external
        view
        returns (bytes24 investorId, uint16 country, uint40 expiry, bool frozen)
    {
        Identity memory id = _identities[wallet];
        return (id.investorId, id.country, id.expiry, id.frozen);
    }

    // ---------------------------------------------------------------- internal

    function _register(address wallet, bytes24 investorId, uint16 country, uint40 expiry) private {
        if (wallet == address(0)) revert ZeroAddress();
        if (investorId == bytes24(0)) revert InvalidInvestorId();
        if (expiry <= block.timestamp) revert InvalidExpiry(expiry);
        Identity storage id = _identities[wallet];
        if (id.investorId != bytes24(0)) revert AlreadyRegistered(wallet);
        id.investorId = investorId;
        id.expiry = expiry;
        id.country = country;
        emit IdentityRegistered(wallet, investorId, country, expiry);
    }
}
