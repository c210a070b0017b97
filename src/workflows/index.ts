/** Workflow entry point for the worker's bundler. */
export { campaignWorkflow } from './campaign';
