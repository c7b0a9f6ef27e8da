/** Local Step Functions set up wrongly: invalid definition, Task states without a handler, bad options. */
export class LocalStepFunctionsError extends Error {
  override readonly name = 'LocalStepFunctionsError';
}

/**
 * An error the Step Functions API returns, by its AWS error code (`ExecutionAlreadyExists`, `InvalidName`...).
 * Sent as HTTP 400 `{"__type": code, "message": ...}`, which @aws-sdk/client-sfn turns into its modelled exception.
 */
export class StepFunctionsApiError extends Error {
  override readonly name = 'StepFunctionsApiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
