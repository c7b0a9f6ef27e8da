/**
 * Fake liveness, KYC and content-verification providers on one real HTTP server, for local mode, tests and
 * benchmarks. See README.md in this directory for the wire behaviour, the script schema and the fault knobs.
 */
export { startFakeProviders, loadScenarioFile, DEFAULT_IMAGE_WINDOW_MS } from './server';
export type { FakeProviders, FakeProvidersOptions, FakeProviderStats, CheckStats } from './server';
export type { CreatedCheck } from './checks';
export { LOCAL_PROVIDER_CREDENTIALS, type ProviderCredentials } from './credentials';
export { checkScriptSchema, anyCheckScriptSchema, scenarioSchema, parseCheckScript, parseScenario } from './script';
export type { CheckScript, ParsedCheckScript, AnyCheckScript, ParsedAnyCheckScript, Scenario, KycImageFault, LivenessFrameFault } from './script';
export { answerSchema, answersScriptSchema } from './answers-script';
export type { Answer, ParsedAnswer, AnswersScript, ParsedAnswersScript } from './answers-script';
export { servedAnswer, answerBytes, type ServedAnswer, type AnswerIds } from './answers';
export { InvalidScriptError, DuplicateCheckError, AnswerPlaceholderError, UnknownImageExtensionError } from './errors';
export { createUuidV1Generator, isUuidV1, uuidV1EpochMs } from './ids';
export { IMAGE_CONTENT_TYPES, IMAGE_FORMATS, IMAGE_SIZES, imageSource, renderImage, type ImageFormat, type ImageSpec } from './images';
export { livenessFrameSpec } from './liveness';
export { anyImage, ANY_IMAGE_CONTENT_TYPES, type AnyImage, type AnyImageExtension } from './images/any';
export { ANY_IMAGES_PREFIX } from './any-images-route';
export { WEBHOOK_DELIVERIES, type WebhookDelivery, type WebhookTarget, type SentWebhook } from './webhooks';
