"""AWS Lambda entry point: the same Flask app behind API Gateway (REST v1 or HTTP v2 events).

The models load once per Lambda container, on the cold start; `binary_support` lets API Gateway pass
base64-encoded bodies (image uploads) through untouched.
"""

from apig_wsgi import make_lambda_handler

from api.app import create_app

handler = make_lambda_handler(create_app(), binary_support=True)
