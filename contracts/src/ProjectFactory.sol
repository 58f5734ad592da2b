// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {TimelockControllerUpgradeable} from
    "@openzeppelin/contracts-upgradeable/governance/TimelockControllerUpgradeable.sol";
import {ProjectProxy} from "./proxy/ProjectProxy.sol";
import {ProjectToken} from "./ProjectToken.sol";
import {Offering} from "./Offering.sol";
import {Treasury} from "./Treasury.sol";
import {ProjectGovernor} from "./ProjectGovernor.sol";
import {IOffering} from "./interfaces/IOffering.sol";

/// @title ProjectFactory
/// @notice Deploys one project's token, offering, treasury, governor and timelock as beacon
/// proxies in a single transaction, initializes and wires them, and emits ProjectCreated.
///
/// Wiring: only the offering mints; the offering has no owner (escrow moves only by its
/// rules); the treasury's distributor is the SPV and only the project timelock spends its
/// reserve; the timelock's only proposer/canceller is the governor, anyone may execute a ready
/// operation, and it administers itself. Pause / freeze / forced transfer / recovery belong to
/// the platform agent (AGENT_ROLE of the IdentityRegistry). Beacons are owned by the platform
/// timelock, so only it upgrades a contract kind.
contract ProjectFactory is AccessControl {
    struct ProjectParams {
        string name;
        string symbol;
        address spv;
        address stablecoin;
        uint128 price;
        uint128 softCap;
        uint128 hardCap;
        uint128 minInvestment;
        uint128 maxInvestment;
        uint40 startTime;
        uint40 endTime;
        uint32 coolingOff;
        uint48 votingDelay;
        uint32 votingPeriod;
        uint256 proposalThreshold;
        uint256 quorumNumerator;
        uint256 timelockDelay;
    }

    uint16 public constant MAX_FEE_BPS = 1_000;

    address public immutable identityRegistry;
    address public immutable tokenBeacon;
    address public immutable offeringBeacon;
    address public immutable treasuryBeacon;
    address public immutable governorBeacon;
    address public immutable timelockBeacon;

    address public feeRecipient;
    uint16 public feeBps;
    uint64 public projectCount;

    event ProjectCreated(
        uint256 indexed projectId,
        address indexed token,
        address offering,
        address treasury,
        address governor,
        address timelock,
        address indexed spv
    );
    event FeeConfigChanged(address feeRecipient, uint16 feeBps);

    error ZeroAddress();
    error FeeTooHigh(uint16 feeBps);

    constructor(
        address admin,
        address identityRegistry_,
        address tokenBeacon_,
        address offeringBeacon_,
        address treasuryBeacon_,
        address governorBeacon_,
        address timelockBeacon_,
        address feeRecipient_,
        uint16 feeBps_
    ) {
        if (
            admin == address(0) || identityRegistry_ == address(0) || tokenBeacon_ == address(0)
                || offeringBeacon_ == address(0) || treasuryBeacon_ == address(0) || governorBeacon_ == address(0)
                || timelockBeacon_ == address(0)
        ) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        identityRegistry = identityRegistry_;
        tokenBeacon = tokenBeacon_;
        offeringBeacon = offeringBeacon_;
        treasuryBeacon = treasuryBeacon_;
        governorBeacon = governorBeacon_;
        timelockBeacon = timelockBeacon_;
        _setFee(feeRecipient_, feeBps_);
    }

    function setFeeConfig(address feeRecipient_, uint16 feeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFee(feeRecipient_, feeBps_);
    }

    /// @notice Addresses of one project's contracts.
    struct Project {
        address token;
        address offering;
        address treasury;
        address governor;
        address timelock;
    }

    function createProject(ProjectParams calldata p)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 projectId, Project memory pr)
    {
        if (p.spv == address(0) || p.stablecoin == address(0)) revert ZeroAddress();
        pr.token = address(new ProjectProxy(tokenBeacon));
        pr.offering = address(new ProjectProxy(offeringBeacon));
        pr.treasury = address(new ProjectProxy(treasuryBeacon));
        pr.governor = address(new ProjectProxy(governorBeacon));
        pr.timelock = address(new ProjectProxy(timelockBeacon));

        address[] memory exempt = new address[](1);
        exempt[0] = pr.timelock;
        ProjectToken(pr.token).initialize(p.name, p.symbol, pr.offering, pr.treasury, exempt);
        _initOffering(p, pr);
        Treasury(pr.treasury).initialize(pr.token, p.stablecoin, pr.timelock, p.spv);
        _initGovernance(p, pr);

        projectId = ++projectCount;
        emit ProjectCreated(projectId, pr.token, pr.offering, pr.treasury, pr.governor, pr.timelock, p.spv);
    }

    function _initOffering(ProjectParams calldata p, Project memory pr) private {
        Offering(pr.offering).initialize(
            IOffering.Terms({
                price: p.price,
                softCap: p.softCap,
                hardCap: p.hardCap,
                minInvestment: p.minInvestment,
                maxInvestment: p.maxInvestment,
                startTime: p.startTime,
                endTime: p.endTime,
                coolingOff: p.coolingOff
            }),
            pr.token,
            p.stablecoin,
            pr.treasury,
            feeRecipient,
            feeBps
        );
    }

    function _initGovernance(ProjectParams calldata p, Project memory pr) private {
        ProjectGovernor(payable(pr.governor)).initialize(
            p.name,
            IVotes(pr.token),
            TimelockControllerUpgradeable(payable(pr.timelock)),
            p.votingDelay,
            p.votingPeriod,
            p.proposalThreshold,
            p.quorumNumerator
        );
        address[] memory proposers = new address[](1);
        proposers[0] = pr.governor;
        address[] memory executors = new address[](1); // address(0): anyone executes a ready operation
        TimelockControllerUpgradeable(payable(pr.timelock)).initialize(
            p.timelockDelay, proposers, executors, address(0)
        );
    }

    function _setFee(address feeRecipient_, uint16 feeBps_) private {
        if (feeRecipient_ == address(0)) revert ZeroAddress();
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_);
        feeRecipient = feeRecipient_;
        feeBps = feeBps_;
        emit FeeConfigChanged(feeRecipient_, feeBps_);
    }
}
